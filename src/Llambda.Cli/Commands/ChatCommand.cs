using System.CommandLine;
using System.Text;
using Llambda.Inference;

namespace Llambda.Cli.Commands;

/// <summary>
/// <c>llambda chat</c>: an interactive conversation in the terminal through the model's chat template. The session
/// keeps its KV cache between turns, so each turn only evaluates what is new. When the history no longer fits the
/// context, the oldest turns are dropped (the system prompt stays) and the user is told.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new ModelOptionsBinder();
        var sampling = new SamplingOptionsBinder();
        var system = new Option<string?>("--system") { Description = "A system prompt." };
        var count = new Option<int>("--n-predict", "-n") { Description = "Most tokens per reply (-1: until the model ends its turn).", DefaultValueFactory = _ => 512 };

        var command = new Command("chat", "Chat with a model in the terminal (/reset clears the history, /exit quits).");
        model.AddTo(command);
        sampling.AddTo(command);
        command.Add(system);
        command.Add(count);
        command.SetAction(parse =>
        {
            var samplingOptions = sampling.Bind(parse);
            int maxReply = parse.GetValue(count);
            using var loaded = model.Load(parse);
            var session = loaded.CreateSession(model.ContextLength(parse));
            var formatter = ChatFormatter.ForModel(loaded);
            var conversation = new Conversation(parse.GetValue(system));
            using var cancel = new CancellationTokenSource();
            CancellationTokenSource? turn = null;
            Console.CancelKeyPress += (_, e) =>
            {
                // Ctrl+C stops the reply being written; at the prompt it quits.
                if (turn is { IsCancellationRequested: false }) { e.Cancel = true; turn.Cancel(); }
            };

            Console.Error.WriteLine($"llambda chat: {loaded.Name} ({formatter.TemplateName} format, context {session.ContextLength}). /reset clears the history, /exit quits.");
            while (true)
            {
                Console.Write("> ");
                Console.Out.Flush();
                string? line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") break;
                if (line.Trim() == "/reset")
                {
                    conversation.Clear();
                    session.Reset();
                    Console.WriteLine("(history cleared)");
                    continue;
                }
                if (string.IsNullOrWhiteSpace(line)) continue;

                conversation.Add(new ChatMessage("user", line));
                int reserve = maxReply > 0 ? Math.Min(maxReply, session.ContextLength / 2) : session.ContextLength / 4;
                int[] prompt = formatter.Format(conversation.Messages);
                int dropped = 0;
                while (prompt.Length + reserve > session.ContextLength && conversation.DropOldestTurn())
                {
                    dropped++;
                    prompt = formatter.Format(conversation.Messages);
                }
                if (dropped > 0) Console.WriteLine($"(dropped the {dropped} oldest message{(dropped == 1 ? "" : "s")} to fit the context of {session.ContextLength} tokens)");
                if (prompt.Length >= session.ContextLength)
                {
                    Console.WriteLine($"(this message alone is {prompt.Length} tokens, more than the context of {session.ContextLength}; not sent)");
                    conversation.RemoveLast();
                    continue;
                }

                var reply = new StringBuilder();
                turn = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
                var result = Generator.Run(session, prompt, new GenerationOptions
                {
                    MaxTokens = maxReply < 0 ? null : maxReply,
                    Sampling = samplingOptions,
                    StopStrings = formatter.StopStrings,
                }, token =>
                {
                    Console.Write(token.Text);
                    Console.Out.Flush();
                    reply.Append(token.Text);
                }, turn.Token);
                Console.Write(result.TrailingText);
                reply.Append(result.TrailingText);
                Console.WriteLine();
                if (result.FinishReason == FinishReason.Cancelled) Console.WriteLine("(stopped)");
                conversation.Add(new ChatMessage("assistant", reply.ToString().Trim()));
                turn.Dispose();
                turn = null;
            }
            return 0;
        });
        return command;
    }

    /// <summary>The chat history: an optional system message, then the turns in order.</summary>
    private sealed class Conversation(string? systemPrompt)
    {
        private readonly List<ChatMessage> _messages = string.IsNullOrEmpty(systemPrompt) ? [] : [new ChatMessage("system", systemPrompt)];
        private int FirstTurn => _messages.Count > 0 && _messages[0].Role == "system" ? 1 : 0;

        public IReadOnlyList<ChatMessage> Messages => _messages;

        public void Add(ChatMessage message) => _messages.Add(message);

        public void RemoveLast() => _messages.RemoveAt(_messages.Count - 1);

        public void Clear() => _messages.RemoveRange(FirstTurn, _messages.Count - FirstTurn);

        /// <summary>Drops the oldest message after the system prompt, keeping at least the newest one.</summary>
        public bool DropOldestTurn()
        {
            if (_messages.Count - FirstTurn <= 1) return false;
            _messages.RemoveAt(FirstTurn);
            return true;
        }
    }
}
