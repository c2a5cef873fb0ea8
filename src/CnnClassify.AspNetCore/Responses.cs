using CnnClassify.Inference;

namespace CnnClassify.Serving;

/// <summary>One class's probability in an answer.</summary>
/// <param name="Class">The class name.</param>
/// <param name="Index">Its label index.</param>
/// <param name="Probability">Its probability: softmax for a single-label model, its own sigmoid for a multi-label one.</param>
public sealed record ClassScore(string Class, int Index, double Probability);

/// <summary>The answer for one image.</summary>
/// <param name="Source">The image's name: the multipart file name, or <c>upload</c> for a raw body.</param>
/// <param name="Labels">The predicted classes, most probable first: one for a single-label model, every class at or above its threshold for a multi-label one (possibly none).</param>
/// <param name="Top">The most probable classes, as many as <c>top</c> asks.</param>
public sealed record ImageClassification(string Source, IReadOnlyList<ClassScore> Labels, IReadOnlyList<ClassScore> Top);

/// <summary>The answer of <c>POST {model}/classify</c>.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Task">Its task: <c>single-label</c> or <c>multi-label</c>.</param>
/// <param name="Source">The image's name.</param>
/// <param name="Labels">The predicted classes, most probable first.</param>
/// <param name="Top">The most probable classes.</param>
public sealed record ClassificationResponse(string Model, string Task, string Source, IReadOnlyList<ClassScore> Labels, IReadOnlyList<ClassScore> Top);

/// <summary>The answer of <c>POST {model}/classify/batch</c>: one classification per file part, in order.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Task">Its task.</param>
/// <param name="Images">The images' classifications, in the order of the form's files.</param>
public sealed record BatchClassificationResponse(string Model, string Task, IReadOnlyList<ImageClassification> Images);

/// <summary>The answer of <c>GET {model}</c>: what the model is and how it is served.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Ready">Whether it has answered its warm-up call.</param>
/// <param name="Explains">Whether <c>POST {model}/explain</c> gives Grad-CAM overlays (checkpoint-backed models).</param>
/// <param name="Description">Classes, input, preprocessing and task, as the model's file records them.</param>
/// <param name="Limits">What a request may send.</param>
public sealed record ModelResponse(string Name, bool Ready, bool Explains, ClassifierDescription Description, ServingLimits Limits);

/// <summary>The limits a client must stay within.</summary>
/// <param name="MaxUploadBytes">Largest body of one image.</param>
/// <param name="MaxBatchUploadBytes">Largest body of a batch request.</param>
/// <param name="MaxImagesPerRequest">Most images in a batch request.</param>
/// <param name="MaxPixels">Largest width x height.</param>
/// <param name="ContentTypes">Accepted image content types.</param>
public sealed record ServingLimits(long MaxUploadBytes, long MaxBatchUploadBytes, int MaxImagesPerRequest, long MaxPixels, IReadOnlyList<string> ContentTypes);
