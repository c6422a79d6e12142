using Microsoft.Extensions.Logging;
using TokenFlow.Server.Api;

namespace TokenFlow.Server.Model;

/// <summary>Which chat template the server renders with: <c>--chat-template FILE</c>, else the model's own, else the plain form.</summary>
internal static class ChatTemplateSelection
{
    public static ChatPromptBuilder Builder(ServerOptions options, IModelHost model, ILogger log)
    {
        string? template;
        string source;
        if (options.ChatTemplatePath is { } path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: chat template file not found", path);
            template = File.ReadAllText(path);
            source = path;
        }
        else
        {
            template = model.ChatTemplate;
            source = $"{model.Name} (tokenizer.chat_template)";
        }
        var builder = ChatPromptBuilder.Create(template, model.Tokenizer, model.ContextLength, source);
        log.LogInformation("chat template: {Name} from {Source}", builder.TemplateName, builder.UsesModelTemplate ? source : "none in the model");
        return builder;
    }
}
