using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Models;
using Llambda.Server.Scheduling;
using Microsoft.Extensions.Logging;

namespace Llambda.Server;

public enum ModelState
{
    Loading,
    Ready,
    Failed,
}

/// <summary>
/// Loads the model in the background so the port opens at once (a load balancer, or the Lambda Web Adapter, sees
/// <c>/health</c> answer "loading" instead of a refused connection), then holds it for the process's lifetime.
/// Routes ask <see cref="GetReady"/> for the model; before it is ready they get 503 with Retry-After.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<LoadedModel> _loader;
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ReadyModel? _ready;
    private volatile string? _error;

    public ModelHost(ServerOptions options, ServerMetrics metrics, ILogger<ModelHost> logger, Func<LoadedModel>? loader = null)
    {
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _loader = loader ?? (() => LoadedModel.Load(options.ModelPath, new ModelOptions { Threads = options.Threads }));
    }

    public ModelState State => _ready is not null ? ModelState.Ready : _error is not null ? ModelState.Failed : ModelState.Loading;

    /// <summary>Why loading failed, in words fit for a client (no stack trace).</summary>
    public string? Error => _error;

    /// <summary>Completes when loading has succeeded or failed.</summary>
    public Task WhenSettled => _settled.Task;

    public string ModelId => _options.EffectiveModelId;

    public void StartLoading() => _ = Task.Factory.StartNew(Load, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Load()
    {
        try
        {
            _logger.LogInformation("Loading model {Path}", _options.ModelPath);
            var started = DateTimeOffset.UtcNow;
            LoadedModel model = _loader();
            var scheduler = new GenerationScheduler(model, _options.Parallel, _options.EffectiveQueueLimit, _options.ContextLength, _metrics);
            _metrics.Gauges = () => (scheduler.BusySlots, scheduler.SlotCount, scheduler.QueueDepth);

            // A model without a usable chat template still serves completions and embeddings; chat routes then say why.
            ChatFormatter? chat = null;
            string? chatError = null;
            try
            {
                chat = ChatFormatter.ForModel(model);
            }
            catch (Exception e)
            {
                chatError = $"This model has no usable chat template: {e.Message}";
                _logger.LogWarning("Chat routes disabled: {Reason}", chatError);
            }

            _ready = new ReadyModel(model, ModelId, scheduler, chat, chatError, started);
            _metrics.ModelLoadSeconds = (DateTimeOffset.UtcNow - started).TotalSeconds;
            _metrics.ModelState = 1;
            _logger.LogInformation("Model {Name} ready in {Seconds:F2} s ({Slots} slots of {Context} tokens, {Threads} threads)",
                model.Name, _metrics.ModelLoadSeconds, scheduler.SlotCount, scheduler.ContextLength, model.Pool.Threads);
        }
        catch (Exception e)
        {
            // Files (and downloads) users give us fail in known ways: say which, in one line. Anything else is a bug:
            // logged in full and summarised.
            bool known = e is GgufFormatException or ModelLoadException or FileNotFoundException or DirectoryNotFoundException
                or UnauthorizedAccessException or InvalidDataException or NotSupportedException or IOException or ArgumentException;
            _error = known ? e.Message : $"The model could not be loaded ({e.GetType().Name}); see the server log.";
            _metrics.ModelState = 2;
            if (known) _logger.LogError("Model load failed: {Reason}", e.Message);
            else _logger.LogError(e, "Model load failed");
        }
        finally
        {
            _settled.TrySetResult();
        }
    }

    /// <summary>The loaded model, or an <see cref="ApiException"/>: 503 with Retry-After while loading, 503 after a failed load.</summary>
    public ReadyModel GetReady()
    {
        if (_ready is { } ready) return ready;
        if (_error is { } error)
            throw new ApiException(503, "The model failed to load: " + error, code: "model_load_failed");
        throw new ApiException(503, "The model is still loading; retry shortly.", code: "model_loading") { RetryAfterSeconds = 1 };
    }

    public void Dispose() => _ready?.Model.Dispose();
}

/// <summary>What routes need once the model is up.</summary>
public sealed record ReadyModel(
    LoadedModel Model,
    string Id,
    GenerationScheduler Scheduler,
    ChatFormatter? Chat,
    string? ChatError,
    DateTimeOffset LoadedAt)
{
    public ChatFormatter RequireChat() => Chat ?? throw ApiException.BadRequest(ChatError ?? "This model has no chat template.", code: "chat_template_unavailable");
}
