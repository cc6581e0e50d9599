using System.Diagnostics;
using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Metrics;
using TaintWatch.Daemon;

// CPU cost of one steady-state poll of an unchanged host with N loaded modules (a fixture tree built here).
// Usage: PollBench <fixture-root-to-create> [modules=200] [polls=2000] [full]
//   full: every poll is a module-file check (what happens every --poll.module-files-interval)
var root = args[0];
var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200;
var polls = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2000;
var full = args.Length > 3 && args[3] == "full";
Directory.CreateDirectory(Path.Combine(root, "proc/sys/kernel/random"));
File.WriteAllText(Path.Combine(root, "proc/sys/kernel/tainted"), "12288\n");
File.WriteAllText(Path.Combine(root, "proc/sys/kernel/osrelease"), "5.14.0-362.8.1.el9_3.x86_64\n");
File.WriteAllText(Path.Combine(root, "proc/sys/kernel/random/boot_id"), "bench\n");
var modules = new System.Text.StringBuilder();
for (var i = 0; i < count; i++)
{
    var letters = i == 0 ? "OE" : "";
    modules.Append($"mod_{i} 16384 0 - Live 0x0000000000000000{(letters.Length > 0 ? " (OE)" : "")}\n");
    var dir = Path.Combine(root, "sys/module", $"mod_{i}");
    Directory.CreateDirectory(dir);
    File.WriteAllText(Path.Combine(dir, "initstate"), "live\n");
    File.WriteAllText(Path.Combine(dir, "taint"), letters + "\n");
    File.WriteAllText(Path.Combine(dir, "srcversion"), "0123456789ABCDEF01234567\n");
}
File.WriteAllText(Path.Combine(root, "proc/modules"), modules.ToString());
var paths = new KernelPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys"), root);
var options = new DaemonOptions([":0"], "/metrics", TimeSpan.FromSeconds(5), paths, Path.Combine(root, "state"), "error", "console", null, "/nonexistent",
    ModuleFileInterval: full ? TimeSpan.Zero : null);
using var sink = new EventSink("console", "error", "/nonexistent", TextWriter.Null);
using var poller = new Poller(options, TimeProvider.System, sink, new TaintMetrics());
for (var i = 0; i < 200; i++)
{
    poller.PollOnce();
}
GC.Collect();
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var wall = Stopwatch.StartNew();
var allocated = GC.GetAllocatedBytesForCurrentThread();
for (var i = 0; i < polls; i++)
{
    poller.PollOnce();
}
var cpuPerPoll = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / polls;
Console.WriteLine($"{(full ? "module-file check" : "poll")} of an unchanged {count}-module host: {cpuPerPoll:0} us CPU, {wall.Elapsed.TotalMicroseconds / polls:0} us wall, {(GC.GetAllocatedBytesForCurrentThread() - allocated) / polls} bytes allocated per poll ({polls} polls)");
