namespace KrautPortal.Features.Images.Pipeline;

public static class ImagePipelineSetup
{
    /// <summary>The pipeline as one singleton: a hosted service, and the <see cref="IImagePipeline"/> uploads hand content to.</summary>
    public static IServiceCollection AddImagePipeline(this IServiceCollection services)
    {
        services.AddOptions<ImagesOptions>()
            .Validate(o => o.StorageFormat is ImageFormat.Qcow2 or ImageFormat.Raw, "Images:StorageFormat must be qcow2 or raw.")
            .Validate(o => o.ProgressWriteMilliseconds >= 0, "Images:ProgressWriteMilliseconds must be 0 or more.")
            .ValidateOnStart();
        services.AddSingleton<ImagePipeline>(sp =>
        {
            var pipeline = ActivatorUtilities.CreateInstance<ImagePipeline>(sp);
            sp.GetRequiredService<Reconciling.ReconcileLoops>().Attach(pipeline);
            return pipeline;
        });
        services.AddSingleton<IImagePipeline>(sp => sp.GetRequiredService<ImagePipeline>());
        services.AddHostedService(sp => sp.GetRequiredService<ImagePipeline>());
        return services;
    }
}
