namespace TaintWatch.Baseline;

/// <summary>
/// Shell-style patterns for module names and signers: * (any run), ? (one character), [abc] / [a-z] / [!a]
/// classes. Matched with one backtracking point, so time is linear-by-pattern, never exponential.
/// </summary>
public static class Glob
{
    public static bool IsPattern(string text) => text.AsSpan().IndexOfAny("*?[") >= 0;

    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (p < pattern.Length && One(pattern, ref p, text[t]))
            {
                t++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    /// <summary>Whether the pattern element at p matches c; on a match p moves past the element.</summary>
    private static bool One(string pattern, ref int p, char c)
    {
        if (pattern[p] == '?')
        {
            p++;
            return true;
        }
        if (pattern[p] == '[')
        {
            var end = pattern.IndexOf(']', p + 2);
            if (end > 0)
            {
                var negate = pattern[p + 1] is '!' or '^';
                var set = pattern.AsSpan((negate ? p + 2 : p + 1)..end);
                var found = false;
                for (var i = 0; i < set.Length; i++)
                {
                    if (i + 2 < set.Length && set[i + 1] == '-')
                    {
                        found |= c >= set[i] && c <= set[i + 2];
                        i += 2;
                    }
                    else
                    {
                        found |= set[i] == c;
                    }
                }
                if (found != negate)
                {
                    p = end + 1;
                    return true;
                }
                return false;
            }
        }
        if (pattern[p] == c)
        {
            p++;
            return true;
        }
        return false;
    }
}
