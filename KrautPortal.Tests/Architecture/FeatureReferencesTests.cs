namespace KrautPortal.Tests.Architecture;

/// <summary>The check itself can fail: a made-up project with each kind of reference is seen, and its back-edges reported.</summary>
public sealed class FeatureReferencesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kraut-arch-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string path, string text)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    [Fact]
    public void A_using_a_qualified_name_and_a_partly_qualified_type_are_references()
    {
        Write("Features/Vms/VmSpec.cs", "namespace KrautPortal.Features.Vms;\npublic sealed record VmSpec;\n");
        Write("Features/Networks/A.cs", "using KrautPortal.Features.Vms;\nnamespace KrautPortal.Features.Networks;\n");
        Write("Features/Networks/B.cs", "namespace KrautPortal.Features.Networks;\nclass B { KrautPortal.Features.Vms.VmSpec? s; }\n");
        Write("Features/Networks/C.cs", "namespace KrautPortal.Features.Networks;\nclass C { Vms.VmSpec? s; int n = Kinds.Vms.Count; }\n");
        Write("Features/Networks/D.cs", "namespace KrautPortal.Features.Networks;\nclass D { int n = Kinds.Vms.Name.Length; }\n");

        var files = FeatureReferences.Scan(_root).Where(r => r is { From: "Networks", To: "Vms" }).Select(r => r.File).Distinct().Order();

        Assert.Equal(["Features/Networks/A.cs", "Features/Networks/B.cs", "Features/Networks/C.cs"], files);
    }

    [Fact]
    public void A_razor_page_gets_the_usings_of_every_imports_file_above_it()
    {
        Write("_Imports.razor", "@using MudBlazor\n@using KrautPortal.Features.Vms\n");
        Write("Features/Images/_Imports.razor", "@using KrautPortal.Features.Hosts\n");
        Write("Features/Images/Pages/List.razor", "<h1>Images</h1>\n");
        Write("Features/Vms/X.cs", "namespace KrautPortal.Features.Vms;\n");
        Write("Features/Hosts/X.cs", "namespace KrautPortal.Features.Hosts;\n");

        var page = FeatureReferences.Scan(_root).Where(r => r.File == "Features/Images/Pages/List.razor").ToList();

        Assert.Contains(page, r => r.To == "Vms" && r.How == "@using in _Imports.razor");
        Assert.Contains(page, r => r.To == "Hosts" && r.How == "@using in Features/Images/_Imports.razor");
    }

    [Fact]
    public void A_back_edge_is_reported_as_a_cycle_and_against_the_layers_naming_the_files()
    {
        Write("Features/Vms/VmRules.cs", "using KrautPortal.Features.Images;\nnamespace KrautPortal.Features.Vms;\n");
        Write("Features/Images/ImageRules.cs", "using KrautPortal.Features.Vms;\nnamespace KrautPortal.Features.Images;\n");
        var references = FeatureReferences.Scan(_root);

        var cycle = Assert.Single(FeatureLayers.Cycles(references));
        Assert.Contains("Features/Vms/VmRules.cs", cycle);
        Assert.Contains("Features/Images/ImageRules.cs", cycle);
        var against = Assert.Single(FeatureLayers.AgainstLayers(references));
        Assert.StartsWith("Features/Images/ImageRules.cs (using): Images (layer 3 what VMs are made of) must not use Vms (layer 4 VMs)", against);
    }

    [Fact]
    public void The_store_may_not_name_even_a_lower_looking_peer()
    {
        Write("Features/Store/ResourceStore.cs", "using KrautPortal.Features.Api;\nnamespace KrautPortal.Features.Store;\n");
        Write("Features/Api/ResourceApi.cs", "namespace KrautPortal.Features.Api;\n");

        var problem = Assert.Single(FeatureLayers.AgainstLayers(FeatureReferences.Scan(_root)));
        Assert.Contains("Store must not reference Api", problem);
    }

    [Fact]
    public void A_type_declared_in_another_features_namespace_is_named()
    {
        Write("Features/Vms/Sneaky.cs", "namespace KrautPortal.Features.Networks.Ipam;\n");
        Write("Features/Vms/Pages/Fine.razor", "@namespace KrautPortal.Features.Vms.Pages\n");

        Assert.Equal(["Features/Vms/Sneaky.cs declares KrautPortal.Features.Networks.Ipam"], FeatureReferences.MisplacedNamespaces(_root));
    }

    [Fact]
    public void A_new_folder_without_a_layer_is_named()
    {
        Assert.Equal(["Telepathy"], FeatureLayers.WithoutLayer(["Vms", "Telepathy", "Store"]));
    }
}
