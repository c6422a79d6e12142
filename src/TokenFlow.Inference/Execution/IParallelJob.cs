namespace TokenFlow.Inference.Execution;

/// <summary>A unit of parallel work split into items; <c>worker</c> indexes per-thread scratch.</summary>
internal interface IParallelJob
{
    void Execute(int item, int worker);
}
