using TorchSharp;

namespace CnnClassify.Tests.Foundation;

/// <summary>
/// The image decoders hand their tensors to callers that have no dispose scope open (the
/// predictors decode before they open one), so every tensor they make on the way is held by a
/// local or a scope until they return. A temporary that nothing holds can be finalized, and its
/// native tensor freed, while LibTorch still reads it: the benchmark's predictor runs crashed with
/// SIGSEGV this way under garbage-collection pressure.
/// </summary>
public sealed class TemporaryTensorTests
{
    private static readonly string[] Decoders = ["CnnClassify.Data.ImageDecoder", "CnnClassify.Data.JpegScaledDecoder", "CnnClassify.Data.PixelDecoder"];

    [Fact]
    public void The_image_decoders_leave_no_tensor_unheld_outside_a_dispose_scope()
    {
        var offenders = TemporaryTensorScan.Find(typeof(CnnClassify.Data.ImageDecoder).Assembly)
            .Where(found => Decoders.Contains(found.Type))
            .Select(found => $"{found.Type}.{found.Method} ({found.Temporaries})")
            .ToList();

        Assert.True(offenders.Count == 0, $"Unheld tensor temporaries in: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_scan_finds_a_chained_temporary_and_passes_held_ones_and_scoped_ones()
    {
        var found = TemporaryTensorScan.Find(typeof(TemporaryTensorTests).Assembly).Where(f => f.Type == typeof(Examples).FullName).ToDictionary(f => f.Method, f => f.Temporaries);

        Assert.Equal(1, found["Chained"]);
        Assert.Equal(1, found["PassedOn"]);
        Assert.False(found.ContainsKey("Held"));
        Assert.False(found.ContainsKey("Scoped"));
    }

    private static class Examples
    {
        public static torch.Tensor Chained(torch.Tensor x) => x.permute(2, 0, 1).contiguous();

        public static torch.Tensor PassedOn(torch.Tensor x, torch.Tensor y) => x.mul(y.flip(0));

        public static torch.Tensor Held(torch.Tensor x)
        {
            using var chw = x.permute(2, 0, 1);
            return chw.contiguous();
        }

        public static torch.Tensor Scoped(torch.Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            return x.permute(2, 0, 1).contiguous().MoveToOuterDisposeScope();
        }
    }
}
