namespace CnnClassify.Distributed;

/// <summary>Open MPI could not be loaded or a call failed; the message names the library or the call.</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public MpiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MpiException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="inner">The underlying error.</param>
    public MpiException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
