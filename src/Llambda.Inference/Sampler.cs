namespace Llambda.Inference;

/// <summary>
/// Picks tokens from logits per <see cref="SamplingOptions"/>. Holds its own scratch arrays (one pass per token,
/// no allocation) and its own random generator, so a seeded sampler is reproducible.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly float[] _scores;
    private readonly int[] _ids;
    private readonly float[] _probabilities;
    private readonly float[] _sortKeys;
    private readonly Dictionary<int, int> _counts = [];

    public Sampler(SamplingOptions options, int vocabSize)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is ulong seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
        _scores = new float[vocabSize];
        _ids = new int[vocabSize];
        _probabilities = new float[vocabSize];
        _sortKeys = new float[vocabSize];
    }

    /// <summary>
    /// Chooses the next token. <paramref name="history"/> is what the penalties look at (prompt and output so far).
    /// Returns the token and its log-probability under the model's unmodified distribution.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits, IReadOnlyList<int> history)
    {
        int n = logits.Length;
        Span<float> scores = _scores.AsSpan(0, n);
        logits.CopyTo(scores);
        ApplyPenalties(scores, history);

        if (_options.IsGreedy) return ArgMax(scores);

        // Candidates sorted by score, cut to top-k.
        Span<int> ids = _ids.AsSpan(0, n);
        for (int i = 0; i < n; i++) ids[i] = i;
        int k = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;
        SortTopK(scores, ids, k);
        ids = ids[..k];

        // Softmax with temperature over the candidates (max first, so exp never overflows).
        float max = scores[ids[0]];
        double sum = 0;
        float[] p = _probabilities;
        for (int i = 0; i < k; i++)
        {
            float e = MathF.Exp((scores[ids[i]] - max) / _options.Temperature);
            p[i] = e;
            sum += e;
        }
        for (int i = 0; i < k; i++) p[i] = (float)(p[i] / sum);

        // Top-p: the smallest prefix whose mass reaches p.
        int keep = k;
        if (_options.TopP < 1)
        {
            double cumulative = 0;
            for (int i = 0; i < k; i++)
            {
                cumulative += p[i];
                if (cumulative >= _options.TopP) { keep = i + 1; break; }
            }
        }
        // Min-p: drop what is less likely than min_p × the best.
        if (_options.MinP > 0)
        {
            float threshold = p[0] * _options.MinP;
            int i = 1;
            while (i < keep && p[i] >= threshold) i++;
            keep = i;
        }

        double mass = 0;
        for (int i = 0; i < keep; i++) mass += p[i];
        double r = _random.NextDouble() * mass;
        for (int i = 0; i < keep; i++)
        {
            r -= p[i];
            if (r <= 0) return ids[i];
        }
        return ids[keep - 1];
    }

    private void ApplyPenalties(Span<float> scores, IReadOnlyList<int> history)
    {
        var o = _options;
        if (o.RepetitionPenalty == 1 && o.PresencePenalty == 0 && o.FrequencyPenalty == 0) return;
        int window = o.PenaltyLastN < 0 ? history.Count : Math.Min(o.PenaltyLastN, history.Count);
        if (window == 0) return;
        _counts.Clear();
        for (int i = history.Count - window; i < history.Count; i++)
            _counts[history[i]] = _counts.GetValueOrDefault(history[i]) + 1;
        foreach (var (token, count) in _counts)
        {
            if ((uint)token >= (uint)scores.Length) continue;
            ref float s = ref scores[token];
            s = s > 0 ? s / o.RepetitionPenalty : s * o.RepetitionPenalty;
            s -= count * o.FrequencyPenalty + o.PresencePenalty;
        }
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Moves the k highest-scoring ids to the front of <paramref name="ids"/>, in descending order.</summary>
    private void SortTopK(Span<float> scores, Span<int> ids, int k)
    {
        if (k > 256)
        {
            // Large k: sort everything by descending score.
            Span<float> keys = _sortKeys.AsSpan(0, ids.Length);
            for (int i = 0; i < ids.Length; i++) keys[i] = -scores[ids[i]];
            keys.Sort(ids);
            return;
        }
        // Small k: keep the best k in a sorted prefix; most candidates lose to the current k-th at one comparison.
        int filled = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            float s = scores[id];
            if (filled == k && s <= scores[ids[k - 1]]) continue;
            int at = filled < k ? filled++ : k - 1;
            while (at > 0 && scores[ids[at - 1]] < s)
            {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = id;
        }
    }

    /// <summary>The log-probability of <paramref name="token"/> under softmax(<paramref name="logits"/>).</summary>
    public static float LogProbability(ReadOnlySpan<float> logits, int token)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        return (float)(logits[token] - max - Math.Log(sum));
    }
}
