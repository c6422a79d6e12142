namespace TokenFlow.Server.Tests;

/// <summary>One stories260K server shared by the tests that do not need special options.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerHandle Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestModel.StartAsync(TestModel.Options());
        Http = new HttpClient { BaseAddress = new Uri(Server.Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;
