namespace TaintWatch.Modules;

/// <summary>A module file that cannot be read as what it claims to be; the message says why, for an operator.</summary>
public sealed class ModuleFormatException : Exception
{
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
