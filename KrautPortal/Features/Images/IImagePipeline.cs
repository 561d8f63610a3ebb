namespace KrautPortal.Features.Images;

/// <summary>Takes an image whose content arrived (ImageStorage.ArrivedPath) and makes it ready, or refuses it.</summary>
public interface IImagePipeline
{
    void Enqueue(Guid imageId);
}
