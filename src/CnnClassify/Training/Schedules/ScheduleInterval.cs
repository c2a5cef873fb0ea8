namespace CnnClassify.Training;

/// <summary>How often a learning-rate schedule changes the rate.</summary>
public enum ScheduleInterval
{
    /// <summary>Before every optimizer step (OneCycle, warmup).</summary>
    Step,

    /// <summary>At the start of every epoch (StepLR, cosine, plateau).</summary>
    Epoch,
}
