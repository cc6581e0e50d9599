namespace TaintWatch.Kernel;

/// <summary>One bit of a kernel's taint mask, as one kernel family defines it.</summary>
/// <param name="Bit">Bit number in /proc/sys/kernel/tainted.</param>
/// <param name="SetChar">Character printed in the positional "Tainted:" string when the bit is set.</param>
/// <param name="UnsetChar">Character printed when the bit is clear.</param>
/// <param name="Name">The kernel's name without the TAINT_ prefix, e.g. OOT_MODULE.</param>
/// <param name="Description">One line an operator can act on.</param>
/// <param name="IsPlaceholder">The kernel reserves the bit without a meaning (prints '?' when set).</param>
public sealed record TaintFlag(int Bit, char SetChar, char UnsetChar, string Name, string Description, bool IsPlaceholder = false)
{
    /// <summary>The letter used in metrics and reports; '?' for placeholders and bits without a printable letter.</summary>
    public char Letter => IsPlaceholder || SetChar == '\0' ? '?' : SetChar;

    public ulong Mask => 1UL << Bit;

    /// <summary>A set bit the table does not define: reported, never dropped.</summary>
    public static TaintFlag Unknown(int bit) =>
        new(bit, '?', ' ', $"UNKNOWN_{bit}", $"bit {bit} is not defined by this kernel family's taint table", IsPlaceholder: true);
}
