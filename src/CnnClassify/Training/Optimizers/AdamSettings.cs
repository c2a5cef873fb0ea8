namespace CnnClassify.Training;

/// <summary>One parameter group's Adam settings, as the fused kernel takes them.</summary>
internal readonly record struct AdamSettings(double LearningRate, double Beta1, double Beta2, double WeightDecay, double Eps, bool AmsGrad, bool Maximize);
