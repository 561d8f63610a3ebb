using KrautPortal.Features.Api;
using KrautPortal.Features.Images.Upload;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http;

namespace KrautPortal.Tests.Api;

/// <summary>The one mapping from a failure to problem+json, used by the exception handler and the endpoints alike.</summary>
public sealed class ProblemsTests
{
    [Fact]
    public void FieldErrors_BecomeAValidationProblem_WithEveryField()
    {
        var details = Problems.For(new ValidationException(new Dictionary<string, string[]> { ["spec.vcpus"] = ["must be at least 1"], ["name"] = ["taken", "too long"] }));

        var validation = Assert.IsType<HttpValidationProblemDetails>(details);
        Assert.Equal((422, "Invalid request"), (validation.Status, validation.Title));
        Assert.Equal(["must be at least 1"], validation.Errors["spec.vcpus"]);
        Assert.Equal(["taken", "too long"], validation.Errors["name"]);
        Assert.Equal("spec.vcpus: must be at least 1 name: taken name: too long", validation.Detail);
    }

    [Fact]
    public void AKrautProblem_KeepsItsStatusTitleAndSentence()
    {
        var details = Problems.For(new ConflictException("The network is in use."))!;

        Assert.Equal((409, "Conflict", "The network is in use."), (details.Status, details.Title, details.Detail));
        Assert.Empty(details.Extensions);
    }

    [Fact]
    public void AProblemWithFields_CarriesThemForScripts()
    {
        var offset = Problems.For(new UploadOffsetException(1024, 0))!;
        var checksum = Problems.For(new ChecksumMismatchException("aa", "bb"))!;

        Assert.Equal(1024L, offset.Extensions["bytesReceived"]);
        Assert.Equal(("aa", "bb"), (checksum.Extensions["expectedSha256"], checksum.Extensions["actualSha256"]));
    }

    [Fact]
    public void ABadHttpRequest_IsABadRequest_AndAnythingElseIsUnknown()
    {
        var bad = Problems.For(new BadHttpRequestException("Failed to bind parameter \"int limit\" from \"abc\".", 400))!;

        Assert.Equal((400, "Bad request"), (bad.Status, bad.Title));
        Assert.Null(Problems.For(new InvalidOperationException("boom")));
        Assert.Equal(500, Problems.Internal().Status);
    }
}
