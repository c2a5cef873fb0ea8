using CnnClassify.Data.Transforms;

namespace CnnClassify.Runtime;

/// <summary>One view of each image in test-time augmentation.</summary>
/// <param name="Name">What the view is, for reports: "image", "mirror", "top-left crop", "augmented 2".</param>
/// <param name="Transform">The per-image transform that makes it; <see langword="null"/> for the loader's own.</param>
/// <param name="Mirror">Whether the view is mirrored left to right after the transform.</param>
/// <param name="Epoch">The epoch whose per-sample random numbers a random transform draws; distinct views of one random transform take distinct epochs.</param>
/// <param name="Weight">Its weight in the average, above 0 (the weights are normalised to sum to 1).</param>
public sealed record TestTimeView(string Name, IImageTransform? Transform, bool Mirror, int Epoch, double Weight);
