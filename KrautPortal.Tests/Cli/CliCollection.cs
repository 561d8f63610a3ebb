namespace KrautPortal.Tests.Cli;

/// <summary>The Cli test classes share one portal (starting one costs seconds) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliPortal>
{
    public const string Name = "Cli";
}
