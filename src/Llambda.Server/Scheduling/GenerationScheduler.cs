using System.Diagnostics;
using System.Threading.Channels;
using Llambda.Inference;

namespace Llambda.Server.Scheduling;

/// <summary>
/// Shares one model between concurrent requests. There are <c>--parallel</c> slots, each owning an
/// <see cref="InferenceSession"/> (its KV cache) that lives as long as the server, so a chat that comes back with one
/// more turn lands, when possible, on the slot that already holds its prefix and only the new turn is evaluated.
/// Requests beyond the slots wait in a FIFO queue of bounded length; beyond that they are refused (429) at once,
/// because a client is better served by a fast "retry later" than by a timeout.
/// </summary>
public sealed class GenerationScheduler
{
    private readonly object _gate = new();
    private readonly Slot[] _slots;
    private readonly List<Slot> _free;
    private readonly LinkedList<TaskCompletionSource<Slot>> _waiters = new();
    private readonly ServerMetrics _metrics;
    private long _lastUse;

    public GenerationScheduler(LoadedModel model, int parallel, int queueLimit, int contextLength, ServerMetrics metrics)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLimit);
        Model = model;
        QueueLimit = queueLimit;
        _metrics = metrics;
        _slots = new Slot[parallel];
        for (int i = 0; i < parallel; i++) _slots[i] = new Slot(i, model.CreateSession(contextLength));
        _free = [.. _slots];
        ContextLength = _slots[0].Session.ContextLength;
    }

    public LoadedModel Model { get; }

    /// <summary>Positions in each slot's KV cache: prompt plus generated tokens must fit.</summary>
    public int ContextLength { get; }

    public int QueueLimit { get; }
    public int SlotCount => _slots.Length;

    public int BusySlots { get { lock (_gate) return _slots.Length - _free.Count; } }
    public int QueueDepth { get { lock (_gate) return _waiters.Count; } }

    /// <summary>
    /// Waits for a free slot, preferring the one whose cache shares the longest prefix with <paramref name="prompt"/>.
    /// Throws <see cref="ApiException"/> 429 when the queue is full; cancelling gives up the place in the queue.
    /// </summary>
    public async ValueTask<SlotLease> AcquireAsync(ReadOnlyMemory<int> prompt, CancellationToken cancellation)
    {
        TaskCompletionSource<Slot> waiter;
        LinkedListNode<TaskCompletionSource<Slot>> node;
        lock (_gate)
        {
            if (_free.Count > 0)
            {
                Slot best = BestSlot(prompt.Span);
                _free.Remove(best);
                return new SlotLease(this, best);
            }
            if (_waiters.Count >= QueueLimit)
            {
                _metrics.RecordRejected();
                throw new ApiException(429,
                    $"The server is busy: all {_slots.Length} slots are generating and {_waiters.Count} requests are waiting. Retry shortly.",
                    code: "server_busy", type: "rate_limit_exceeded") { RetryAfterSeconds = 1 };
            }
            // Continuations run asynchronously so a releasing thread never runs the next request's code inline.
            waiter = new TaskCompletionSource<Slot>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }

        using (cancellation.Register(() =>
        {
            lock (_gate)
            {
                // Only a waiter still in the list can be cancelled; one already handed a slot keeps it (and releases it).
                if (node.List is null) return;
                _waiters.Remove(node);
            }
            waiter.TrySetCanceled(cancellation);
        }))
        {
            Slot slot = await waiter.Task.ConfigureAwait(false);
            return new SlotLease(this, slot);
        }
    }

    private Slot BestSlot(ReadOnlySpan<int> prompt)
    {
        Slot best = _free[0];
        int bestShared = -1;
        foreach (Slot slot in _free)
        {
            var tokens = slot.Session.Tokens;
            int shared = 0;
            while (shared < tokens.Count && shared < prompt.Length && tokens[shared] == prompt[shared]) shared++;
            // Ties go to the least recently used slot, which keeps recent conversations' caches around longer.
            if (shared > bestShared || (shared == bestShared && slot.LastUse < best.LastUse))
            {
                best = slot;
                bestShared = shared;
            }
        }
        return best;
    }

    internal void Release(Slot slot)
    {
        lock (_gate)
        {
            slot.LastUse = ++_lastUse;
            // Hand the slot straight to the oldest waiter; the queue is FIFO so nobody starves.
            var first = _waiters.First;
            if (first is not null)
            {
                _waiters.RemoveFirst();
                first.Value.TrySetResult(slot);
                return;
            }
            _free.Add(slot);
        }
    }

    /// <summary>
    /// Acquires a slot and starts generating on a dedicated thread (the forward pass is CPU-bound and would starve
    /// the thread pool). Tokens arrive through <see cref="GenerationStream.Tokens"/> as they are made; cancelling
    /// (the client disconnected) stops the loop before the next token and frees the slot.
    /// </summary>
    public async Task<GenerationStream> GenerateAsync(int[] prompt, GenerationOptions options, CancellationToken cancellation)
    {
        long started = Stopwatch.GetTimestamp();
        SlotLease lease = await AcquireAsync(prompt, cancellation).ConfigureAwait(false);
        var channel = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var result = new TaskCompletionSource<GenerationResult>(TaskCreationOptions.RunContinuationsAsynchronously);

        var thread = new Thread(() =>
        {
            bool first = true;
            try
            {
                GenerationResult r = Generator.Run(lease.Session, prompt, options, token =>
                {
                    if (first)
                    {
                        first = false;
                        _metrics.RecordFirstToken(Stopwatch.GetElapsedTime(started));
                    }
                    channel.Writer.TryWrite(token);
                }, cancellation);
                _metrics.RecordGeneration(r.PromptTokens, r.CompletionTokens, r.TokensPerSecond, FinishReasonName(r.FinishReason));
                channel.Writer.TryComplete();
                result.TrySetResult(r);
            }
            catch (Exception e)
            {
                // The session may hold a half-evaluated prompt; forget it so the next request starts clean.
                lease.Session.Reset();
                channel.Writer.TryComplete(e);
                result.TrySetException(e);
            }
            finally
            {
                lease.Dispose();
            }
        })
        {
            IsBackground = true,
            Name = $"Llambda slot {lease.Index}",
        };
        thread.Start();
        return new GenerationStream(channel.Reader, result.Task);
    }

    /// <summary>Embeds each input on one slot, in order (each call resets the slot's session).</summary>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<int[]> inputs, CancellationToken cancellation)
    {
        using SlotLease lease = await AcquireAsync(ReadOnlyMemory<int>.Empty, cancellation).ConfigureAwait(false);
        return await Task.Factory.StartNew(() =>
        {
            var vectors = new float[inputs.Count][];
            for (int i = 0; i < inputs.Count; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                vectors[i] = lease.Session.Embed(inputs[i]);
                _metrics.RecordEmbedding(inputs[i].Length);
            }
            return vectors;
        }, cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    public static string FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length or FinishReason.ContextFull => "length",
        FinishReason.Deadline => "deadline",
        FinishReason.Cancelled => "cancelled",
        _ => reason.ToString().ToLowerInvariant(),
    };

    internal sealed class Slot(int index, InferenceSession session)
    {
        public int Index { get; } = index;
        public InferenceSession Session { get; } = session;
        public long LastUse { get; set; }
    }
}

/// <summary>A slot held by one request; disposing returns it (exactly once).</summary>
public sealed class SlotLease : IDisposable
{
    private GenerationScheduler? _owner;
    private readonly GenerationScheduler.Slot _slot;

    internal SlotLease(GenerationScheduler owner, GenerationScheduler.Slot slot)
    {
        _owner = owner;
        _slot = slot;
    }

    public InferenceSession Session => _slot.Session;
    public int Index => _slot.Index;

    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_slot);
}

/// <summary>A running generation: its tokens as they come, then its totals.</summary>
public sealed record GenerationStream(ChannelReader<GeneratedToken> Tokens, Task<GenerationResult> Result);
