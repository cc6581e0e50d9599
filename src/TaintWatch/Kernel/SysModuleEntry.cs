namespace TaintWatch.Kernel;

/// <summary>What /sys/module/&lt;name&gt;/ says of one module. Null means the attribute does not exist.</summary>
/// <param name="Name">Directory name.</param>
/// <param name="Taint">Content of taint without the newline (absent on RHEL 6 and for built-in modules).</param>
/// <param name="SrcVersion">srcversion: 24 hex characters (MD4 of the sources).</param>
/// <param name="Version">MODULE_VERSION string.</param>
/// <param name="InitState">live, coming or going; absent for built-in modules.</param>
/// <param name="BuildId">GNU build-id from notes/.note.gnu.build-id, lower-case hex.</param>
/// <param name="Problems">Attributes that exist but could not be read or parsed.</param>
public sealed record SysModuleEntry(
    string Name,
    string? Taint,
    string? SrcVersion,
    string? Version,
    string? InitState,
    string? BuildId,
    IReadOnlyList<string> Problems)
{
    /// <summary>A directory without initstate is a built-in module (or one still coming), as kmod treats it.</summary>
    public bool IsBuiltIn => InitState is null;
}
