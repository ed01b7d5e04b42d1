namespace Llambda.Inference;

/// <summary>
/// One turn of a conversation. <see cref="Extra"/> carries whatever else the client sent with the message
/// (tool_calls, name, tool_call_id...), passed to the chat template as is.
/// </summary>
public sealed record ChatMessage(string Role, string? Content)
{
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    /// <summary>The message as the template sees it: a dictionary with role, content and the extras.</summary>
    internal Dictionary<string, object?> ToTemplateValue()
    {
        var value = new Dictionary<string, object?> { ["role"] = Role, ["content"] = Content };
        if (Extra != null)
        {
            foreach (var (key, v) in Extra)
            {
                if (key is not ("role" or "content")) value[key] = v;
            }
        }
        return value;
    }
}
