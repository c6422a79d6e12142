namespace TokenFlow.Simulation;

/// <summary>Where a running simulation is: finished requests out of all, and the virtual time.</summary>
public readonly record struct SimulationProgress(int Finished, int Total, double VirtualTime);
