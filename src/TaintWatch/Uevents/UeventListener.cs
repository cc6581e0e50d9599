using TaintWatch.Kernel;

namespace TaintWatch.Uevents;

/// <summary>
/// Listens to the kernel's module uevents on a thread of its own and hands each load or unload to the poller at
/// once. On a load it reads /sys/module/&lt;name&gt; straight away, before a quick rmmod can take it away.
/// </summary>
public sealed class UeventListener : IDisposable
{
    private readonly UeventSocket _socket;
    private readonly KernelPaths _paths;
    private readonly TimeProvider _time;
    private readonly Action<ModuleSighting?> _onEvent;
    private readonly Action<string> _onProblem;
    private readonly Thread _thread;

    private UeventListener(UeventSocket socket, KernelPaths paths, TimeProvider time, Action<ModuleSighting?> onEvent, Action<string> onProblem)
    {
        _socket = socket;
        _paths = paths;
        _time = time;
        _onEvent = onEvent;
        _onProblem = onProblem;
        _thread = new Thread(Run) { IsBackground = true, Name = "uevents" };
    }

    /// <summary>
    /// Starts listening, or returns null with the reason. <paramref name="onEvent"/> receives a sighting, or null
    /// when events were lost (queue overflow) and only a full poll can tell what changed.
    /// </summary>
    public static UeventListener? Start(KernelPaths paths, TimeProvider time, Action<ModuleSighting?> onEvent, Action<string> onProblem, out string? problem)
    {
        var socket = UeventSocket.Open(out problem);
        if (socket is null)
        {
            return null;
        }
        var listener = new UeventListener(socket, paths, time, onEvent, onProblem);
        listener._thread.Start();
        return listener;
    }

    private void Run()
    {
        var buffer = new byte[Uevent.MaxLength];
        try
        {
            while (true)
            {
                var length = _socket.Receive(buffer);
                if (length == 0)
                {
                    return;
                }
                if (length == -1)
                {
                    _onEvent(null);
                    continue;
                }
                if (length < 0 || Uevent.Parse(buffer.AsSpan(0, length), out _) is not { ModuleName: { } name } uevent)
                {
                    continue;
                }
                if (uevent.IsModuleAdd)
                {
                    _onEvent(new ModuleSighting(name, true, SysModuleReader.Read(_paths, name), _time.GetUtcNow(), uevent.Sequence));
                }
                else if (uevent.IsModuleRemove)
                {
                    _onEvent(new ModuleSighting(name, false, null, _time.GetUtcNow(), uevent.Sequence));
                }
            }
        }
#pragma warning disable CA1031 // a broken socket must leave the daemon on its timed poll, not end it
        catch (Exception e)
#pragma warning restore CA1031
        {
            _onProblem(e.Message);
        }
    }

    public void Dispose()
    {
        _socket.Stop();
        _thread.Join(TimeSpan.FromSeconds(2));
        _socket.Dispose();
    }
}
