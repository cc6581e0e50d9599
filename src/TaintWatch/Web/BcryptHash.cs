using System.Text.RegularExpressions;

namespace TaintWatch.Web;

/// <summary>
/// The shape of a bcrypt hash as htpasswd -B and Go's x/crypto/bcrypt write it: "$2a$", "$2b$" or "$2y$", a
/// two-digit cost from 4 to 31, then 53 characters of bcrypt's base64 (salt and digest). exporter-toolkit refuses a
/// file whose hash bcrypt.Cost cannot read; checked at load so that a broken hash fails the start, not every login.
/// </summary>
public static partial class BcryptHash
{
    [GeneratedRegex(@"^\$2[aby]\$(?<cost>0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool TryCost(string hash, out int cost)
    {
        var match = Shape().Match(hash);
        cost = match.Success ? int.Parse(match.Groups["cost"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return match.Success;
    }
}
