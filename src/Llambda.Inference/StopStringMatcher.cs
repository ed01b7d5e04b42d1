using System.Text;

namespace Llambda.Inference;

/// <summary>
/// Watches generated text for stop strings. Text that could still be the start of a stop string is held back, so
/// a client never sees part of a stop string, and the text before a match is released exactly.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _pending = new();

    public StopStringMatcher(IEnumerable<string>? stops) =>
        _stops = (stops ?? []).Where(s => !string.IsNullOrEmpty(s)).Distinct().ToArray();

    public bool IsEmpty => _stops.Length == 0;

    /// <summary>
    /// Adds <paramref name="text"/>; returns what can be released now and whether a stop string was found (then the
    /// released text ends just before it and everything after is dropped).
    /// </summary>
    public (string Released, bool Stopped) Append(string text)
    {
        if (_stops.Length == 0) return (text, false);
        _pending.Append(text);
        string pending = _pending.ToString();

        int earliest = -1;
        foreach (string stop in _stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
        }
        if (earliest >= 0)
        {
            _pending.Clear();
            return (pending[..earliest], true);
        }

        // Hold back the longest suffix that is a prefix of some stop string.
        int hold = 0;
        foreach (string stop in _stops)
        {
            for (int len = Math.Min(stop.Length - 1, pending.Length); len > hold; len--)
            {
                if (pending.AsSpan(pending.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                {
                    hold = len;
                    break;
                }
            }
        }
        _pending.Clear();
        _pending.Append(pending, pending.Length - hold, hold);
        return (pending[..^hold], false);
    }

    /// <summary>Releases whatever is held back (generation ended for another reason).</summary>
    public string Flush()
    {
        string rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
