namespace CnnClassify.Serving.Endpoints;

/// <summary>A request the server refuses: its HTTP status, a title, the reason, and the outcome recorded in the metrics.</summary>
internal sealed class ServingProblem(int status, string title, string detail, string outcome) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string Outcome { get; } = outcome;

    public static ServingProblem BadRequest(string detail) => new(400, "The request cannot be classified", detail, Outcomes.BadRequest);

    public static ServingProblem TooLarge(string detail) => new(413, "The upload is too large", detail, Outcomes.TooLarge);

    public static ServingProblem Unsupported(string detail) => new(415, "Unsupported content type", detail, Outcomes.UnsupportedMediaType);
}

/// <summary>The <c>outcome</c> tag of <c>cnnclassify.serving.requests</c>.</summary>
internal static class Outcomes
{
    public const string Ok = "ok";
    public const string BadRequest = "bad_request";
    public const string NotFound = "not_found";
    public const string TooLarge = "too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string Overloaded = "overloaded";
    public const string NotReady = "not_ready";
    public const string Timeout = "timeout";
    public const string Aborted = "aborted";
    public const string Error = "error";
}
