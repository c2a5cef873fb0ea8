
namespace CnnClassify.Downloads;

/// <summary>How far a weight download has come.</summary>
/// <param name="FileName">The file being downloaded.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">The file's size when the server says it, else <see langword="null"/>.</param>
public sealed record DownloadProgress(string FileName, long BytesReceived, long? TotalBytes);
