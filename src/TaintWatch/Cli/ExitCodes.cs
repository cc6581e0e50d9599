namespace TaintWatch.Cli;

/// <summary>Exit codes shared by every command; status uses 1 for "tainted" so scripts can branch on it.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Tainted = 1;
    public const int Error = 2;
}
