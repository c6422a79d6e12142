namespace TokenFlow.Inference.Templating;

/// <summary>A template outside the supported Jinja subset, or one that failed to render (including its own raise_exception).</summary>
public class JinjaException(string message) : Exception(message);

/// <summary>The template called <c>raise_exception(message)</c>: the conversation is one it rejects.</summary>
public sealed class JinjaRaisedException(string message) : JinjaException(message);
