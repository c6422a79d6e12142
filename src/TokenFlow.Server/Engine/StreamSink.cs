using System.Threading.Channels;
using TokenFlow.Core.Requests;

namespace TokenFlow.Server.Engine;

/// <summary>
/// One request's way out of the engine: an unbounded token channel (so a slow client never blocks
/// the engine thread; the server buffers and the reader model drives scheduling) plus its outcome.
/// </summary>
public sealed class StreamSink
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cancelled;
    private volatile int _finish = -1;
    private volatile int _state;
    private int _generated;

    internal StreamSink(Request request) => Request = request;

    public Request Request { get; }
    public ChannelReader<int> Tokens => _tokens.Reader;
    /// <summary>Completes at the first token or when the request ends, whichever comes first.</summary>
    public Task Started => _started.Task;
    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;
    /// <summary>Set once the request has ended (before the token channel completes).</summary>
    public FinishReason? FinishReason => _finish < 0 ? null : (FinishReason)_finish;
    /// <summary>The request's state as the engine thread last published it (the request itself belongs to that thread).</summary>
    public RequestState State { get => (RequestState)_state; internal set => _state = (int)value; }
    /// <summary>Tokens delivered so far.</summary>
    public int Generated => Volatile.Read(ref _generated);
    /// <summary>True when the engine failed rather than the client or a limit ending it.</summary>
    public bool EngineFault { get; internal set; }
    /// <summary>Engine-thread bookkeeping: counted in the queue until its first token.</summary>
    internal bool Queued { get; set; } = true;
    internal double LastTokenTime { get; set; } = double.NaN;

    /// <summary>Set by the HTTP side before it aborts a request whose text hit a stop string: it finished as "stop".</summary>
    public bool StoppedByString => Volatile.Read(ref _stopString) != 0;
    private int _stopString;
    public void MarkStoppedByString() => Volatile.Write(ref _stopString, 1);

    // The finish is counted once both ends are in: the engine's, and (for a watched stream) its HTTP
    // handler's, which alone knows whether the client's text ended on a stop string. The engine may
    // finish a request (at max_tokens, say) before the handler has read far enough to see the stop.
    private int _pendingEnds = 1;
    internal FinishReason? EngineReason { get; set; }
    internal void ExpectHandlerEnd() => Interlocked.Increment(ref _pendingEnds);
    internal bool EndOne() => Interlocked.Decrement(ref _pendingEnds) == 0;
    /// <summary>The reason the client saw: a stop-string end is a stop, whatever the engine recorded.</summary>
    internal FinishReason CountedReason => StoppedByString ? Core.Requests.FinishReason.Stop : EngineReason ?? Core.Requests.FinishReason.Abort;

    internal bool TryCancel() => Interlocked.Exchange(ref _cancelled, 1) == 0;

    internal void OnToken(int token)
    {
        Interlocked.Increment(ref _generated);
        _tokens.Writer.TryWrite(token);
        _started.TrySetResult();
    }

    internal void OnFinished(FinishReason reason)
    {
        _finish = (int)reason;
        _tokens.Writer.TryComplete();
        _started.TrySetResult();
    }
}
