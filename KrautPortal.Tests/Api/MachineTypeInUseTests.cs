using System.Net;

namespace KrautPortal.Tests.Api;

/// <summary>A machine type VMs still use cannot be deleted; the VM feature answers "who uses it?" (IMachineTypeUsers).</summary>
public sealed class MachineTypeInUseTests(ApiClient api) : IClassFixture<ApiClient>
{
    [Fact]
    public async Task MachineTypeUsedByAVm_CannotBeDeleted_TheErrorNamesTheVm_AndTheTypeStays()
    {
        var typeName = ApiClient.UniqueName("in-use-type");
        var type = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", typeName));
        var typeId = (Guid)type["id"]!;
        var vmName = ApiClient.UniqueName("uses-type");
        var vm = await api.SampleAsync("vms", vmName);
        vm["spec"]!["machineTypeId"] = typeId;
        await api.CreateAsync("vms", vm);

        using var refused = await api.Http.DeleteAsync($"/api/v1/machine-types/{typeId}");

        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, $"Machine type '{typeName}' is used by 1 VM: {vmName}. Delete or change them first.");
        using var still = await api.Http.GetAsync($"/api/v1/machine-types/{typeId}");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task MachineTypeNoVmUses_IsDeleted()
    {
        var type = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", ApiClient.UniqueName("unused-type")));

        using var deleted = await api.Http.DeleteAsync($"/api/v1/machine-types/{(Guid)type["id"]!}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }
}
