namespace KrautPortal.Features.Images.Pipeline;

/// <summary>The content will not become an image; the message says why, in words for the person who uploaded it.</summary>
public sealed class ImageRefusedException(string message) : Exception(message);
