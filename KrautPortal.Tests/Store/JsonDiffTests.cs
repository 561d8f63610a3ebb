using System.Text.Json.Nodes;
using KrautPortal.Features.Store;

namespace KrautPortal.Tests.Store;

public sealed class JsonDiffTests
{
    [Fact]
    public void Compute_EqualDocuments_FindsNothing()
    {
        var doc = """{"name":"a","spec":{"nics":[{"id":1}],"vcpus":2},"metadata":{"x":null}}""";

        Assert.Empty(JsonDiff.Compute(JsonNode.Parse(doc), JsonNode.Parse(doc)));
    }

    [Fact]
    public void Compute_Objects_ReportsAddedRemovedAndChangedAtDottedPaths()
    {
        var from = JsonNode.Parse("""{"name":"a","metadata":{"env":"test","old":1},"spec":{"vcpus":{"default":1,"min":1}}}""");
        var to = JsonNode.Parse("""{"name":"b","metadata":{"env":"test","new":true},"spec":{"vcpus":{"default":2,"min":1}}}""");

        var changes = JsonDiff.Compute(from, to).ToDictionary(c => c.Path);

        Assert.Equal(["metadata.new", "metadata.old", "name", "spec.vcpus.default"], changes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(JsonChangeKind.Changed, changes["name"].Kind);
        Assert.Equal("a", (string?)changes["name"].From);
        Assert.Equal("b", (string?)changes["name"].To);
        Assert.Equal(JsonChangeKind.Removed, changes["metadata.old"].Kind);
        Assert.Equal(1, (int)changes["metadata.old"].From!);
        Assert.Null(changes["metadata.old"].To);
        Assert.Equal(JsonChangeKind.Added, changes["metadata.new"].Kind);
        Assert.Null(changes["metadata.new"].From);
        Assert.True((bool)changes["metadata.new"].To!);
        Assert.Equal(JsonChangeKind.Changed, changes["spec.vcpus.default"].Kind);
    }

    [Fact]
    public void Compute_Arrays_ComparesByIndex_AndReportsExtraItems()
    {
        var from = JsonNode.Parse("""{"spec":{"nics":[{"networkId":"n1"},{"networkId":"n2"}]}}""");
        var to = JsonNode.Parse("""{"spec":{"nics":[{"networkId":"n1"},{"networkId":"n3"},{"networkId":"n4"}]}}""");

        var changes = JsonDiff.Compute(from, to);

        Assert.Collection(changes,
            c => Assert.Equal(("spec.nics[1].networkId", JsonChangeKind.Changed), (c.Path, c.Kind)),
            c =>
            {
                Assert.Equal(("spec.nics[2]", JsonChangeKind.Added), (c.Path, c.Kind));
                Assert.Equal("n4", (string?)c.To!["networkId"]);
            });
        var shrunk = JsonDiff.Compute(to, from);
        Assert.Contains(shrunk, c => c is { Path: "spec.nics[2]", Kind: JsonChangeKind.Removed });
    }

    [Fact]
    public void Compute_ArraysOfElementsWithIds_MatchesThemById_SoANicInsertedInFrontIsOneAddition()
    {
        var from = JsonNode.Parse("""{"spec":{"nics":[{"id":"a","mac":"m1"},{"id":"b","mac":"m2"},{"id":"c","mac":"m3"}]}}""");
        var to = JsonNode.Parse("""{"spec":{"nics":[{"id":"new","mac":"m0"},{"id":"a","mac":"m1"},{"id":"b","mac":"m2-changed"}]}}""");

        var changes = JsonDiff.Compute(from, to);

        Assert.Collection(changes,
            c => Assert.Equal(("spec.nics[2]", JsonChangeKind.Removed, "c"), (c.Path, c.Kind, (string?)c.From!["id"])),
            c => Assert.Equal(("spec.nics[0]", JsonChangeKind.Added, "new"), (c.Path, c.Kind, (string?)c.To!["id"])),
            c => Assert.Equal(("spec.nics[2].mac", JsonChangeKind.Changed, "m2", "m2-changed"), (c.Path, c.Kind, (string?)c.From, (string?)c.To)));
    }

    [Fact]
    public void Compute_ArraysWhereSomeElementLacksAnIdOrIdsRepeat_FallBackToIndex()
    {
        var missing = JsonDiff.Compute(JsonNode.Parse("""[{"id":"a"},{"x":1}]"""), JsonNode.Parse("""[{"id":"n"},{"id":"a"},{"x":1}]"""));
        Assert.Equal(["[0].id", "[1].x", "[1].id", "[2]"], missing.Select(c => c.Path));

        var repeated = JsonDiff.Compute(JsonNode.Parse("""[{"id":"a","v":1},{"id":"a","v":2}]"""), JsonNode.Parse("""[{"id":"a","v":2},{"id":"a","v":2}]"""));
        Assert.Equal(["[0].v"], repeated.Select(c => c.Path));
    }

    [Fact]
    public void Compute_ValueChangingType_IsOneChangeAtThatPath()
    {
        var changes = JsonDiff.Compute(JsonNode.Parse("""{"a":{"b":1}}"""), JsonNode.Parse("""{"a":[1]}"""));

        var change = Assert.Single(changes);
        Assert.Equal(("a", JsonChangeKind.Changed), (change.Path, change.Kind));
    }

    [Fact]
    public void Compute_ReturnsCopies_NotNodesOfTheInputs()
    {
        var to = JsonNode.Parse("""{"a":{"b":1}}""");

        var change = Assert.Single(JsonDiff.Compute(JsonNode.Parse("{}"), to));
        change.To!["b"] = 2;

        Assert.Equal(1, (int)to!["a"]!["b"]!);
    }

    [Fact]
    public void Describe_SummarisesUpToFivePaths()
    {
        Assert.Equal("no change", JsonDiff.Describe(JsonNode.Parse("""{"a":1}"""), JsonNode.Parse("""{"a":1}""")));
        Assert.Equal("changed a, b", JsonDiff.Describe(JsonNode.Parse("""{"a":1,"b":1}"""), JsonNode.Parse("""{"a":2,"b":2}""")));
        Assert.Equal("changed k0, k1, k2, k3, k4 and 2 more",
            JsonDiff.Describe(new JsonObject(), JsonNode.Parse("""{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6}""")));
    }
}
