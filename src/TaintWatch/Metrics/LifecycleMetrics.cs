using Prometheus;
using TaintWatch.Lifecycle;

namespace TaintWatch.Metrics;

/// <summary>
/// The lifecycle metrics (issue 17) in TaintWatch's registry: policy and unexplained taint, live patches, the kernel's
/// failure counters and the module listing comparison. A series is absent when its source could not be told.
/// </summary>
public sealed class LifecycleMetrics
{
    private readonly TaintMetrics _host;
    private readonly Gauge _unexpected;
    private readonly Gauge _unexplained;
    private readonly Gauge _livePatchEnabled;
    private readonly Gauge _livePatchTransition;
    private readonly Counter _warnings;
    private readonly Counter _oopses;
    private readonly Gauge _listingMismatch;

    public LifecycleMetrics(TaintMetrics host)
    {
        _host = host;
        var f = Prometheus.Metrics.WithCustomRegistry(host.Registry);
        _unexpected = f.CreateGauge("taintwatch_kernel_taint_unexpected", "1 for each set taint bit the taint: list of the expected-modules file does not allow, 0 for set bits it allows (absent without a taint: list).", "bit", "flag", "name");
        _unexplained = f.CreateGauge("taintwatch_kernel_taint_unexplained", "1 for each set module-carried taint bit that no loaded module, live patch or module seen unloading this boot carries; 0 for explained ones.", "bit", "flag", "name");
        _livePatchEnabled = f.CreateGauge("taintwatch_livepatch_enabled", "/sys/kernel/livepatch/<patch>/enabled: 1 applied, 0 disabled (absent where unreadable).", "patch");
        _livePatchTransition = f.CreateGauge("taintwatch_livepatch_transition", "/sys/kernel/livepatch/<patch>/transition: 1 while tasks are still being switched to or off the patch.", "patch");
        _warnings = f.CreateCounter("taintwatch_kernel_warnings_total", "WARNs the kernel has counted this boot (/sys/kernel/warn_count; absent where the kernel has no such file).");
        _oopses = f.CreateCounter("taintwatch_kernel_oopses_total", "Oopses the kernel has counted this boot (/sys/kernel/oops_count; absent where the kernel has no such file).");
        _listingMismatch = f.CreateGauge("taintwatch_modules_listing_mismatch", "Modules live in /sys/module but missing from /proc/modules, or the reverse (absent when the listings could not be compared).");
    }

    public void Update(LifecycleView view)
    {
        var unexpected = new Dictionary<string[], double>(TaintMetrics.LabelComparer.Instance);
        foreach (var (flag, isUnexpected) in view.Unexpected ?? [])
        {
            unexpected[Labels(flag)] = isUnexpected ? 1 : 0;
        }
        TaintMetrics.Sync(_unexpected, unexpected);
        TaintMetrics.Sync(_unexplained, view.ModuleBits.ToDictionary(b => Labels(b.Flag), b => b.Unexplained is null ? 0.0 : 1.0, TaintMetrics.LabelComparer.Instance));
        var patches = view.LivePatches ?? [];
        TaintMetrics.Sync(_livePatchEnabled, patches.Where(p => p.Enabled is not null).ToDictionary(p => new[] { p.Name }, p => p.Enabled == true ? 1.0 : 0.0, TaintMetrics.LabelComparer.Instance));
        TaintMetrics.Sync(_livePatchTransition, patches.Where(p => p.Transition is not null).ToDictionary(p => new[] { p.Name }, p => p.Transition == true ? 1.0 : 0.0, TaintMetrics.LabelComparer.Instance));
        SetCounter(_warnings, view.Counters.Warnings);
        SetCounter(_oopses, view.Counters.Oopses);
        if (view.Listing is { } listing)
        {
            _listingMismatch.Set(listing.Count);
        }
        else
        {
            _listingMismatch.Unpublish();
        }
        _host.Exposition.Invalidate();
    }

    /// <summary>The kernel's count is the counter's value; it only grows within a boot, and a new boot restarts the daemon.</summary>
    private static void SetCounter(Counter counter, ulong? value)
    {
        if (value is ulong v)
        {
            counter.IncTo(v);
        }
        else
        {
            counter.Unpublish();
        }
    }

    private static string[] Labels(Kernel.TaintFlag flag) => [flag.Bit.ToString(System.Globalization.CultureInfo.InvariantCulture), flag.Letter.ToString(), flag.Name];
}
