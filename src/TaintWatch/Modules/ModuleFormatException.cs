namespace TaintWatch.Modules;

/// <summary>A module file that cannot be read as what it claims to be; the message says why, for an operator.</summary>
public sealed class ModuleFormatException : Exception
{
    /// <summary>The data decompressed past the output cap: a large buffer was used and should be released.</summary>
    public bool ExceededCap { get; init; }

    public ModuleFormatException()
    {
    }

    public ModuleFormatException(string message)
        : base(message)
    {
    }

    public ModuleFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
