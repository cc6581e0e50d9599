namespace TaintWatch.Kernel;

/// <summary>The outcome of reading one source: a value, or why there is none, always with the path it came from.</summary>
public sealed record Reading<T>(string Source, T? Value, string? Error, bool IsMissing)
{
    public bool Succeeded => Error is null && !IsMissing;

    public static Reading<T> Ok(string source, T value) => new(source, value, null, false);
    public static Reading<T> Fail(string source, string error) => new(source, default, error, false);
    public static Reading<T> Missing(string source) => new(source, default, null, true);

    public Reading<TOut> Map<TOut>(Func<T, Reading<TOut>> next) =>
        Succeeded ? next(Value!) : new Reading<TOut>(Source, default, Error, IsMissing);

    /// <summary>A sentence for reports and logs: "/proc/modules: permission denied".</summary>
    public string? Problem => IsMissing ? $"{Source}: does not exist" : Error is null ? null : $"{Source}: {Error}";
}
