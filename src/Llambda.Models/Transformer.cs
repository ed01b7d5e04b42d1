using System.Numerics.Tensors;
using Llambda.Gguf;
using Llambda.Tensors;

namespace Llambda.Models;

/// <summary>
/// The decoder-only transformer shared by llama, qwen2 and qwen3: RMSNorm, grouped-query attention with RoPE
/// (plus q/k/v biases for qwen2 and per-head q/k norms for qwen3), a SwiGLU feed-forward block, and the output
/// projection. It holds no per-request state: callers bring a <see cref="KvCache"/> and <see cref="ForwardBuffers"/>,
/// so one loaded model serves many sessions.
/// </summary>
public sealed class Transformer
{
    private readonly Rope _rope;

    public Transformer(ModelConfig config, ModelWeights weights, WorkerPool pool)
    {
        Config = config;
        Weights = weights;
        Pool = pool;
        _rope = new Rope(config, weights.RopeFrequencyFactors);
    }

    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public WorkerPool Pool { get; }
    public int VocabSize => Weights.Output.Rows;

    /// <summary>Loads the hyperparameters and binds the weights of a GGUF file.</summary>
    public static Transformer Load(GgufFile file, WorkerPool pool)
    {
        var config = ModelConfig.FromMetadata(file.Metadata);
        return new Transformer(config, ModelWeights.Bind(file, config), pool);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <paramref name="startPosition"/>.. through the model, appending their
    /// keys and values to <paramref name="cache"/>. Writes the logits of the last token to <paramref name="logits"/>
    /// (VocabSize values), or of every token when <paramref name="logits"/> holds tokens.Length × VocabSize values.
    /// Long inputs are processed in batches of <see cref="ForwardBuffers.MaxBatch"/>.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, int startPosition, KvCache cache, ForwardBuffers buffers, Span<float> logits)
    {
        if (tokens.IsEmpty) throw new ArgumentException("No tokens to process.", nameof(tokens));
        if (startPosition < 0 || startPosition + tokens.Length > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"Positions {startPosition}..{startPosition + tokens.Length - 1} do not fit a context of {cache.Capacity}.");
        int vocab = VocabSize;
        bool all = logits.Length >= tokens.Length * vocab && tokens.Length > 1;
        if (!all && logits.Length < vocab) throw new ArgumentException($"logits needs {vocab} values.", nameof(logits));
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)Weights.TokenEmbedding.Rows)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {t} is outside the vocabulary of {Weights.TokenEmbedding.Rows}.");
        }

        for (int done = 0; done < tokens.Length; done += buffers.MaxBatch)
        {
            int n = Math.Min(buffers.MaxBatch, tokens.Length - done);
            bool last = done + n == tokens.Length;
            Span<float> batchLogits = all ? logits.Slice(done * vocab, n * vocab) : last ? logits[..vocab] : default;
            ForwardBatch(tokens.Slice(done, n), startPosition + done, cache, buffers, batchLogits, all, UBatchLength(done, tokens.Length) >= 2, hiddenWanted: false);
        }
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> from position 0 and writes the mean of their final hidden states (after the
    /// output norm) to <paramref name="pooled"/> (EmbeddingLength values): the sentence embedding.
    /// </summary>
    public void Embed(ReadOnlySpan<int> tokens, KvCache cache, ForwardBuffers buffers, Span<float> pooled)
    {
        if (tokens.IsEmpty) throw new ArgumentException("No tokens to embed.", nameof(tokens));
        if (tokens.Length > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"{tokens.Length} tokens do not fit a context of {cache.Capacity}.");
        int dim = Config.EmbeddingLength;
        Span<float> sum = pooled[..dim];
        sum.Clear();
        for (int done = 0; done < tokens.Length; done += buffers.MaxBatch)
        {
            int n = Math.Min(buffers.MaxBatch, tokens.Length - done);
            ForwardBatch(tokens.Slice(done, n), done, cache, buffers, default, allLogits: false, UBatchLength(done, tokens.Length) >= 2, hiddenWanted: true);
            Span<float> normed = buffers.Normed.AsSpan(0, dim);
            for (int t = 0; t < n; t++)
            {
                Ops.RmsNorm(buffers.Hidden.AsSpan(t * dim, dim), Weights.OutputNorm, Config.RmsNormEpsilon, normed);
                TensorPrimitives.Add(sum, normed, sum);
            }
        }
        TensorPrimitives.Multiply(sum, 1f / tokens.Length, sum);
    }

    /// <summary>
    /// llama.cpp evaluates a prompt in ubatches of this many tokens (its default n_ubatch). Which kernels run, and so
    /// the float summation order, depends on a ubatch's size (1 token or more), not on how we cut it into pieces of
    /// <see cref="ForwardBuffers.MaxBatch"/>.
    /// </summary>
    public const int LlamaCppUBatch = 512;

    /// <summary>The length of llama.cpp's ubatch that holds token <paramref name="index"/> of a <paramref name="count"/>-token input.</summary>
    private static int UBatchLength(int index, int count)
    {
        int start = index / LlamaCppUBatch * LlamaCppUBatch;
        return Math.Min(LlamaCppUBatch, count - start);
    }

    /// <param name="inUBatch">True when these tokens belong to a llama.cpp ubatch of 2 or more tokens (batch kernels).</param>
    /// <param name="hiddenWanted">True when the caller reads the final hidden states (embeddings) even without logits.</param>
    private unsafe void ForwardBatch(ReadOnlySpan<int> tokens, int start, KvCache cache, ForwardBuffers b, Span<float> logits, bool allLogits, bool inUBatch, bool hiddenWanted)
    {
        ModelConfig c = Config;
        int n = tokens.Length;
        int dim = c.EmbeddingLength;
        Span<float> hidden = b.Hidden.AsSpan(0, n * dim);

        // Embeddings: dequantize each token's row of the embedding table.
        WeightMatrix embedding = Weights.TokenEmbedding;
        for (int t = 0; t < n; t++)
            Dequantize.Row(embedding.Type, embedding.RowSpan(tokens[t]), hidden.Slice(t * dim, dim));

        int ropeWidth = _rope.TableWidth;
        for (int t = 0; t < n; t++) _rope.FillTable(start + t, b.RopeTables.AsSpan(t * ropeWidth, ropeWidth));

        for (int l = 0; l < c.LayerCount; l++)
        {
            LayerWeights w = Weights.Layers[l];
            Span<float> normed = b.Normed.AsSpan(0, n * dim);
            for (int t = 0; t < n; t++)
                Ops.RmsNorm(hidden.Slice(t * dim, dim), w.AttentionNorm, c.RmsNormEpsilon, normed.Slice(t * dim, dim));

            Span<float> q = b.Query.AsSpan(0, n * c.QueryWidth);
            Span<float> k = b.Key.AsSpan(0, n * c.KeyWidth);
            Span<float> v = b.Value.AsSpan(0, n * c.ValueWidth);
            MatMul.MatMulBatch(w.Query, normed, n, q, Pool, inUBatch);
            MatMul.MatMulBatch(w.Key, normed, n, k, Pool, inUBatch);
            MatMul.MatMulBatch(w.Value, normed, n, v, Pool, inUBatch);
            b.Trace?.Invoke($"attn_norm-{l}", normed);

            for (int t = 0; t < n; t++)
            {
                Span<float> qt = q.Slice(t * c.QueryWidth, c.QueryWidth);
                Span<float> kt = k.Slice(t * c.KeyWidth, c.KeyWidth);
                Span<float> vt = v.Slice(t * c.ValueWidth, c.ValueWidth);
                if (w.QueryBias != null) TensorPrimitives.Add(qt, w.QueryBias, qt);
                if (w.KeyBias != null) TensorPrimitives.Add(kt, w.KeyBias, kt);
                if (w.ValueBias != null) TensorPrimitives.Add(vt, w.ValueBias, vt);
                if (w.QueryNorm != null) NormalizeHeads(qt, w.QueryNorm, c.KeyLength, c.RmsNormEpsilon);
                if (w.KeyNorm != null) NormalizeHeads(kt, w.KeyNorm, c.KeyLength, c.RmsNormEpsilon);
                ReadOnlySpan<float> table = b.RopeTables.AsSpan(t * ropeWidth, ropeWidth);
                _rope.Apply(qt, c.KeyLength, table);
                _rope.Apply(kt, c.KeyLength, table);
                kt.CopyTo(cache.Keys(l).AsSpan((start + t) * c.KeyWidth, c.KeyWidth));
                vt.CopyTo(cache.Values(l).AsSpan((start + t) * c.ValueWidth, c.ValueWidth));
            }
            if (b.Trace is { } trace)
            {
                trace($"Qcur-{l}", q);
                trace($"Kcur-{l}", k);
                trace($"Vcur-{l}", v);
            }

            Span<float> attention = b.Attention.AsSpan(0, n * c.HeadCount * c.ValueLength);
            fixed (float* pq = q)
            fixed (float* pk = cache.Keys(l))
            fixed (float* pv = cache.Values(l))
            fixed (float* po = attention)
            {
                var job = new AttentionJob
                {
                    Query = pq, Keys = pk, Values = pv, Output = po,
                    HeadCount = c.HeadCount, GroupSize = c.HeadCount / c.KvHeadCount,
                    KeyLength = c.KeyLength, ValueLength = c.ValueLength,
                    KeyWidth = c.KeyWidth, ValueWidth = c.ValueWidth,
                    StartPosition = start, Scale = 1.0f / MathF.Sqrt(c.KeyLength),
                    BatchOrder = inUBatch,
                };
                if (n * c.HeadCount * (start + n) < 4096) job.Execute(0, n * c.HeadCount);
                else Pool.Run(ref job, n * c.HeadCount, 1);
            }

            Span<float> projected = b.Projected.AsSpan(0, n * dim);
            MatMul.MatMulBatch(w.Output, attention, n, projected, Pool, inUBatch);
            b.Trace?.Invoke($"kqv_out-{l}", attention);
            b.Trace?.Invoke($"attn_out-{l}", projected);
            TensorPrimitives.Add(hidden, projected, hidden);
            b.Trace?.Invoke($"ffn_inp-{l}", hidden);

            // The last layer's keys and values are cached; its feed-forward block only feeds the outputs, so a piece of
            // a prompt whose logits nobody wants (all but the last) stops here, as llama.cpp drops those tokens.
            if (l == c.LayerCount - 1 && logits.IsEmpty && !hiddenWanted) return;

            // llama.cpp drops the tokens whose logits are not wanted after the last layer's attention: its
            // feed-forward block then runs on the last token alone (a matrix-vector product, with the single-column
            // kernels). Mirror that when only the last token's logits are asked for.
            int f0 = 0, fn = n;
            bool ffnInUBatch = inUBatch;
            if (l == c.LayerCount - 1 && !logits.IsEmpty && !allLogits) { f0 = n - 1; fn = 1; ffnInUBatch = false; }
            Span<float> fh = hidden.Slice(f0 * dim, fn * dim);
            Span<float> fnormed = normed[..(fn * dim)];
            for (int t = 0; t < fn; t++)
                Ops.RmsNorm(fh.Slice(t * dim, dim), w.FeedForwardNorm, c.RmsNormEpsilon, fnormed.Slice(t * dim, dim));
            Span<float> gate = b.Gate.AsSpan(0, fn * c.FeedForwardLength);
            Span<float> up = b.Up.AsSpan(0, fn * c.FeedForwardLength);
            MatMul.MatMulBatch(w.Gate, fnormed, fn, gate, Pool, ffnInUBatch);
            MatMul.MatMulBatch(w.Up, fnormed, fn, up, Pool, ffnInUBatch);
            if (b.Trace is { } ftrace)
            {
                ftrace($"ffn_norm-{l}", fnormed);
                ftrace($"ffn_gate-{l}", gate);
                ftrace($"ffn_up-{l}", up);
            }
            // per token: ggml_vec_swiglu_f32 runs row by row (8 at a time, libm's expf for a row's last n % 8), so
            // one call over the whole batch would put a row's tail into a vector with the next row's head
            int ffl = c.FeedForwardLength;
            for (int t = 0; t < fn; t++)
                Ops.SwiGlu(gate.Slice(t * ffl, ffl), up.Slice(t * ffl, ffl), gate.Slice(t * ffl, ffl));
            b.Trace?.Invoke($"ffn_swiglu-{l}", gate);
            Span<float> fprojected = projected[..(fn * dim)];
            MatMul.MatMulBatch(w.Down, gate, fn, fprojected, Pool, ffnInUBatch);
            b.Trace?.Invoke($"ffn_out-{l}", fprojected);
            TensorPrimitives.Add(fh, fprojected, fh);
            b.Trace?.Invoke($"l_out-{l}", fh);
        }

        if (logits.IsEmpty) return;
        int first = allLogits ? 0 : n - 1;
        int count = n - first;
        Span<float> final = b.Normed.AsSpan(0, count * dim);
        for (int t = 0; t < count; t++)
            Ops.RmsNorm(hidden.Slice((first + t) * dim, dim), Weights.OutputNorm, c.RmsNormEpsilon, final.Slice(t * dim, dim));
        b.Trace?.Invoke("result_norm", final);
        MatMul.MatMulBatch(Weights.Output, final, count, logits, Pool);
        b.Trace?.Invoke("result_output", logits);
    }

    /// <summary>Qwen3's per-head RMSNorm of queries and keys.</summary>
    private static void NormalizeHeads(Span<float> x, float[] weight, int headDim, float eps)
    {
        for (int h = 0; h < x.Length; h += headDim)
        {
            Span<float> head = x.Slice(h, headDim);
            Ops.RmsNorm(head, weight, eps, head);
        }
    }

    /// <summary>
    /// Causal attention for one (token, head) pair per index, with llama.cpp's CPU numerics (see
    /// <see cref="AttentionKernels"/>): q·k per cached position up to the token's own, ggml's softmax, then the
    /// weighted sum of values in the order of llama.cpp's KQV product for a batch or a single token.
    /// </summary>
    private unsafe struct AttentionJob : IParallelJob
    {
        [ThreadStatic] private static float[]? t_scores;

        public float* Query, Keys, Values, Output;
        public int HeadCount, GroupSize, KeyLength, ValueLength, KeyWidth, ValueWidth, StartPosition;
        public float Scale;
        public bool BatchOrder;

        public readonly void Execute(int startIndex, int endIndex)
        {
            for (int index = startIndex; index < endIndex; index++)
            {
                int t = index / HeadCount, h = index % HeadCount;
                int kvHead = h / GroupSize;
                int positions = StartPosition + t + 1;
                float[] scores = t_scores is { } s && s.Length >= positions + 8 ? s : (t_scores = new float[Math.Max(positions + 8, 256) * 2]);
                fixed (float* sc = scores)
                {
                    float* q = Query + (long)t * HeadCount * KeyLength + h * KeyLength;
                    AttentionKernels.Scores(Keys + kvHead * KeyLength, KeyWidth, q, KeyLength, positions, sc);
                    AttentionKernels.Softmax(sc, positions, Scale);
                    AttentionKernels.WeightedSum(sc, Values + kvHead * ValueLength, ValueWidth, positions,
                        Output + (long)t * HeadCount * ValueLength + h * ValueLength, ValueLength, BatchOrder);
                }
            }
        }
    }
}
