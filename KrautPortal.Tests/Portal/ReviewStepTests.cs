using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Wizard;

namespace KrautPortal.Tests.Portal;

public sealed class ReviewStepTests : PortalTestContext
{
    private readonly Resource<Features.Networks.NetworkSpec, Features.Networks.NetworkStatus>[] _networks =
        [Make.Network("default", "10.77.0.0/24"), Make.Network("backend", "10.78.0.0/24")];

    private VmDraft Draft()
    {
        var draft = new VmDraft { Image = Make.Image("debian-12"), Name = "web-1", NetworkIds = [_networks[1].Id, _networks[0].Id] };
        draft.ChooseMachineType(Make.MachineType("small"));
        draft.MemoryMiB = 256;
        draft.Metadata = new JsonObject { ["env"] = "test", ["replicas"] = 3 };
        return draft;
    }

    [Fact]
    public void ShowsExactlyWhatWillBeCreated()
    {
        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, Draft()).Add(x => x.Networks, _networks));

        var rows = cut.FindAll("[data-testid=review] tr").ToDictionary(r => r.QuerySelector("th")!.TextContent, r => r.QuerySelector("td")!.TextContent.Trim());
        Assert.Equal("web-1", rows["Name"]);
        Assert.Equal("debian-12 (x86_64)", rows["Image"]);
        Assert.Equal("backend (next free address), default (next free address)", rows["NICs"]);
        Assert.Equal("small", rows["Machine type"]);
        Assert.Equal("1 vCPU · 256 MiB", rows["Size"]);
        Assert.Contains("env=test", rows["Metadata"]);
        Assert.Contains("replicas=3", rows["Metadata"]);
        Assert.Equal("start it", rows["After creation"]);
    }

    [Fact]
    public void ShowsTheAddressesAskedFor()
    {
        var draft = Draft();
        draft.Ipv4Addresses[_networks[0].Id] = " 10.77.0.40 ";

        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));

        Assert.Equal("backend (next free address), default (10.77.0.40)", cut.Find("[data-testid=review-nics]").TextContent.Trim());
    }

    [Theory]
    [InlineData(0, "a blank 10 GiB disk, with debian-installer attached as a CD-ROM to install from")]
    [InlineData(25, "a blank 25 GiB disk, with debian-installer attached as a CD-ROM to install from")]
    public void AnInstallerIso_GetsABlankDiskOfTheSizeTheServerWillGive_AndTheIsoAsCdrom(int minDiskGiB, string expected)
    {
        var draft = Draft();
        draft.Image = Make.Image("debian-installer", format: Features.Images.ImageFormat.Iso, minDiskGiB: minDiskGiB);

        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));

        var rows = cut.FindAll("[data-testid=review] tr").ToDictionary(r => r.QuerySelector("th")!.TextContent, r => r.QuerySelector("td")!.TextContent.Trim());
        Assert.Equal(expected, rows["Disk"]);
    }

    [Fact]
    public void ADiskImage_GetsAnOverlay()
    {
        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, Draft()).Add(x => x.Networks, _networks));

        var rows = cut.FindAll("[data-testid=review] tr").ToDictionary(r => r.QuerySelector("th")!.TextContent, r => r.QuerySelector("td")!.TextContent.Trim());
        Assert.Equal("a copy-on-write overlay on the image (the image itself is never changed)", rows["Disk"]);
    }

    [Fact]
    public void NoNicsNoMetadataAndNoStart_SayNoneAndStopped()
    {
        var draft = Draft();
        draft.NetworkIds.Clear();
        draft.Metadata = new JsonObject();
        draft.StartAfterCreate = false;

        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));

        var rows = cut.FindAll("[data-testid=review] tr").ToDictionary(r => r.QuerySelector("th")!.TextContent, r => r.QuerySelector("td")!.TextContent.Trim());
        Assert.Equal("none", rows["NICs"]);
        Assert.Equal("none", rows["Metadata"]);
        Assert.Equal("leave it stopped", rows["After creation"]);
    }

    [Fact]
    public void ApiRequest_IsTheBodyToInputWouldPost()
    {
        var draft = Draft();
        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));
        cut.Find(".mud-expand-panel-header").Click();

        var text = cut.Find("[data-testid=review-json]").TextContent;
        const string head = "POST /api/v1/vms\nContent-Type: application/json\n\n";
        Assert.StartsWith(head, text);
        var shown = JsonNode.Parse(text[head.Length..])!.AsObject();

        // What the API reads from that body must be exactly the draft's input.
        var input = draft.ToInput();
        var read = RequestBody.ToInput<Features.Vms.VmSpec>(shown);
        Assert.Equal(input.Name, read.Name);
        Assert.True(JsonNode.DeepEquals(input.Metadata, read.Metadata));
        Assert.True(JsonNode.DeepEquals(KrautJson.ToNode(input.Spec), KrautJson.ToNode(read.Spec)), shown.ToJsonString());
        Assert.Equal(draft.Image!.Id, read.Spec.ImageId);
        Assert.Equal([_networks[1].Id, _networks[0].Id], read.Spec.Nics.Select(n => n.NetworkId));
    }

    [Fact]
    public void ApiRequest_LeavesOutWhatKrautFillsIn()
    {
        var cut = Render<ReviewStep>(p => p.Add(x => x.Draft, Draft()).Add(x => x.Networks, _networks));
        cut.Find(".mud-expand-panel-header").Click();

        var text = cut.Find("[data-testid=review-json]").TextContent;

        Assert.DoesNotContain("00000000-0000-0000-0000-000000000000", text);
        Assert.DoesNotContain("Generation", text);
        Assert.Contains("\"networkId\"", text);
    }
}
