using CnnClassify.Data;
using CnnClassify.Explanation;
using CnnClassify.Models;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Explanation;

/// <summary>Class activation maps on small models: where they point, what they leave behind, how they fail, and their pictures.</summary>
[Collection(SerialTests.Name)]
public sealed class ClassActivationMapTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-cam-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 1x32x32 images: the left half holds vertical (class 0) or horizontal (class 1) stripes
    // at a random phase over faint noise; the right half is black, so only the left half says anything.
    private static TensorDataset LeftHalfData(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 1024];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            var phase = random.Next(4);
            for (var y = 0; y < 32; y++)
            {
                for (var x = 0; x < 32; x++)
                {
                    var stripe = ((labels[i] == 0 ? x : y) + phase) % 4 < 2;
                    pixels[(i * 1024) + (y * 32) + x] = (byte)(x >= 16 ? 0 : stripe ? 200 + random.Next(50) : random.Next(40));
                }
            }
        }

        return new TensorDataset(torch.tensor(pixels, [count, 1, 32, 32], ScalarType.Byte), labels, ["vertical", "horizontal"]);
    }

    private static CnnModel HalfModel()
    {
        torch.manual_seed(1);
        return CnnBuilder.Input(1, 32, 32).Conv(8, 3, padding: 1).ReLU().MaxPool(2).Conv(16, 3, padding: 1).ReLU().GlobalAvgPool().Dense(2).Build();
    }

    [Theory]
    [InlineData(CamMethod.GradCam)]
    [InlineData(CamMethod.GradCamPlusPlus)]
    [InlineData(CamMethod.ScoreCam)]
    public void A_model_that_reads_only_the_left_half_gets_most_of_its_map_there(CamMethod method)
    {
        using var model = HalfModel();
        var transform = new CnnClassify.Data.Transforms.ToTensor();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(3e-3)).UseDevice(CPU).UseSeed(0).Build();
        trainer.Fit(new DataLoader(LeftHalfData(512, 0), transform, new DataLoaderOptions { BatchSize = 32, Shuffle = true }), null, epochs: 6);
        var test = new DataLoader(LeftHalfData(64, 1), transform, new DataLoaderOptions { BatchSize = 64 });
        Assert.True(trainer.Evaluate(test).Accuracy > 0.95, "the model did not learn the task");
        using var batch = test.Epoch(0).First();

        var mapper = new ClassActivationMapper(model, method, layer: "relu2");
        using var maps = mapper.Compute(batch.Images);

        Assert.Equal([64L, 16, 16], maps.Map.shape);
        // The mass of the map as it is shown: at the input size, scaled to [0, 1] per image
        // (which takes away the floor that channels active everywhere give Score-CAM and Grad-CAM++).
        using var shown = ClassActivationMaps.Scale(maps.Upsampled());
        var total = shown.sum([1, 2]);
        var left = shown.narrow(2, 0, 16).sum([1, 2]);
        var share = (left / total.clamp_min(1e-12.ToScalar())).mean().item<float>();
        var columns = string.Join(" ", shown.sum([0, 1]).data<float>().ToArray().Select(v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)));
        output.WriteLine($"{method}: {share:P1} of the map's mass in the left half");
        Assert.True(share > 0.8, $"{method}: {share:P1} of the map's mass is in the left half; mass by column {columns}");
    }

    [Fact]
    public void Computing_maps_leaves_the_model_as_it_was_and_no_tensor_behind()
    {
        using var model = HalfModel();
        model.train();
        var parameters = model.parameters().ToList();
        parameters[0].requires_grad_(false);
        var before = parameters.Select(p => p.detach().clone()).ToList();
        var flags = parameters.Select(p => p.requires_grad).ToList();
        using var images = torch.rand(3, 1, 32, 32);
        var mappers = new[] { CamMethod.GradCam, CamMethod.GradCamPlusPlus, CamMethod.ScoreCam }.Select(m => new ClassActivationMapper(model, m, "conv2")).ToList();
        foreach (var mapper in mappers)
        {
            using var warm = mapper.Compute(images);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var tensors = torch.Tensor.TotalCount;
        for (var i = 0; i < 100; i++)
        {
            using var maps = mappers[i % 3].Compute(images, [i % 2, 1, 0]);
        }

        Assert.Equal(0, torch.Tensor.TotalCount - tensors);
        Assert.True(model.training);
        Assert.Equal(flags, parameters.Select(p => p.requires_grad));
        Assert.All(parameters.Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, 0, 0)));
        Assert.All(parameters, p => Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0));
        before.ForEach(t => t.Dispose());
    }

    [Fact]
    public void The_default_layer_is_the_last_stage_with_a_map_after_its_activation()
    {
        // SimpleCNN's last stage ends in a BatchNorm (features.9); the ReLU after it has the same shape.
        using var simple = new CnnClassify.Models.SimpleCnn(numClasses: 10, inChannels: 1);
        using var half = HalfModel();

        Assert.Equal("features.10", new ClassActivationMapper(simple).Layer);
        Assert.Equal("relu2", new ClassActivationMapper(half).Layer);
        Assert.Equal("relu2", ClassActivationMapper.DefaultLayer(half));
    }

    [Theory]
    [InlineData("convnext_tiny", "features.7")]
    [InlineData("efficientnet_b1", "features.8")]
    [InlineData("inception_v3", "Mixed_7c")]
    [InlineData("mnasnet0_5", "layers.16")]
    [InlineData("mobilenet_v3_small", "features.12")]
    [InlineData("regnet_y_400mf", "trunk_output.block4")]
    [InlineData("resnext50_32x4d", "layer4")]
    [InlineData("shufflenet_v2_x0_5", "conv5")]
    [InlineData("squeezenet1_1", "features.12")]
    public void Each_family_maps_its_last_feature_stage_at_its_own_input_size(string name, string layer)
    {
        // The map the head pools: for MNASNet the ReLU after its last BatchNorm, elsewhere the last stage.
        using var model = CnnClassify.Models.ModelZoo.Create(name, numClasses: 3);

        Assert.Equal(layer, ClassActivationMapper.DefaultLayer(model));
    }

    [Fact]
    public void Mistakes_are_named()
    {
        using var model = HalfModel();
        var unknown = Assert.Throws<ArgumentException>(() => new ClassActivationMapper(model, layer: "layer4"));
        Assert.Contains("'layer4'", unknown.Message);
        Assert.Contains("conv2", unknown.Message);
        Assert.Equal("layer", unknown.ParamName);

        using var plain = torch.nn.Sequential(("conv", torch.nn.Conv2d(1, 2, 3)), ("flat", torch.nn.Flatten()));
        Assert.Contains("name the layer", Assert.Throws<ArgumentException>(() => new ClassActivationMapper(plain)).Message);

        var mapper = new ClassActivationMapper(model);
        Assert.Equal("relu2", mapper.Layer);
        using var images = torch.rand(2, 1, 32, 32);
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => mapper.Compute(images, [0, 5])).Message);
        Assert.Contains("2 images", Assert.Throws<ArgumentException>(() => mapper.Compute(images, [0])).Message);
        using var flat = torch.rand(1, 1024);
        Assert.Throws<ArgumentException>(() => mapper.Compute(flat));
        var notMap = new ClassActivationMapper(model, layer: "fc1");
        Assert.Equal("fc1", notMap.Layer);
        Assert.Contains("not a map", Assert.Throws<InvalidOperationException>(() => notMap.Compute(images)).Message);
    }

    [Fact]
    public void Maps_scale_to_the_unit_range_per_image()
    {
        using var maps = torch.tensor(new float[] { 0, 2, 4, 6, 3, 3, 3, 3 }, [2, 2, 2]);
        using var scaled = ClassActivationMaps.Scale(maps);
        Assert.Equal(new float[] { 0, 1 / 3f, 2 / 3f, 1, 0, 0, 0, 0 }, scaled.data<float>().ToArray());
    }

    [Fact]
    public void The_overlay_is_red_where_the_map_is_high_and_blue_where_it_is_low()
    {
        using var image = torch.full([3, 32, 32], 128, ScalarType.Byte);
        using var map = torch.zeros(4, 4);
        map[0, 0] = torch.tensor(1f);
        var path = Path.Combine(_dir, "overlay.png");

        HeatmapPlot.SaveOverlay(image, map, path, alpha: 0.6);

        using var picture = Image.Load<Rgb24>(path);
        Assert.Equal((224, 224), (picture.Width, picture.Height));
        var hot = picture[5, 5];
        var cold = picture[200, 200];
        // Blue (0), cyan, green, yellow, red, dark red (1), blended 60 % over grey 128.
        Assert.True(hot.R > 120 && hot.R > hot.G + 50 && hot.R > hot.B + 50, $"hot corner {hot}");
        Assert.True(cold.B > 120 && cold.B > cold.R + 50 && cold.B > cold.G + 50, $"cold corner {cold}");
        Assert.Equal(((byte)0, (byte)0, (byte)128), HeatmapPlot.Color(0));
        Assert.Equal(((byte)128, (byte)255, (byte)128), HeatmapPlot.Color(0.5f));
        Assert.Equal(((byte)128, (byte)0, (byte)0), HeatmapPlot.Color(1));
    }

    [Fact]
    public void The_batch_grid_shows_each_image_beside_its_heatmap_with_captions()
    {
        using var model = HalfModel();
        using var images = LeftHalfData(3, 2).Read(0).Image.unsqueeze(0).expand(3, 1, 32, 32).to(ScalarType.Float32).div(255);
        using var maps = new ClassActivationMapper(model).Compute(images);
        var path = Path.Combine(_dir, "grid.png");

        HeatmapPlot.SaveGrid(maps, images, ["vertical", "horizontal"], path, trueClasses: [0, 0, 1], columns: 2);

        using var picture = Image.Load<Rgb24>(path);
        Assert.Equal((2 * 2 * 160, 40 + (2 * (160 + 52))), (picture.Width, picture.Height));
        // The heatmap tile is coloured, the image tile grey.
        Assert.True(Colourful(picture, 160 + 6, 40 + 6, 148) > 1000);
        Assert.Equal(0, Colourful(picture, 6, 40 + 6, 148));
        Assert.True(Dark(picture, 0, 40 + 160, 320, 52) > 100, "no caption under the first pair");
    }

    [Fact]
    public void Feature_maps_and_filters_are_drawn_as_grids()
    {
        using var model = CnnBuilder.Input(3, 16, 16).Conv(6, 3, padding: 1).ReLU().Conv(4, 3).ReLU().GlobalAvgPool().Dense(2).Build();
        using var image = torch.rand(3, 16, 16);
        var maps = Path.Combine(_dir, "maps.png");
        var filters = Path.Combine(_dir, "filters.png");

        Assert.Equal(4, FeatureMapPlot.SaveActivations(model, "conv2", image, maps));
        Assert.Equal("conv1", FeatureMapPlot.SaveFilters(model, filters));

        using var mapPicture = Image.Load<Rgb24>(maps);
        Assert.True(mapPicture.Width >= 4 * 72 && mapPicture.Height >= 40 + 64);
        using var filterPicture = Image.Load<Rgb24>(filters);
        Assert.True(filterPicture.Width >= 6 * 72);
        Assert.True(Colourful(filterPicture, 4, 40, 64) > 100, "three-channel filters are drawn in colour");
        Assert.Throws<ArgumentException>(() => FeatureMapPlot.SaveActivations(model, "fc1", image, maps));
    }

    private static int Colourful(Image<Rgb24> picture, int left, int top, int size)
    {
        var count = 0;
        for (var y = top; y < top + size; y++)
        {
            for (var x = left; x < left + size; x++)
            {
                var p = picture[x, y];
                count += Math.Max(Math.Abs(p.R - p.G), Math.Abs(p.G - p.B)) > 30 ? 1 : 0;
            }
        }

        return count;
    }

    private static int Dark(Image<Rgb24> picture, int left, int top, int width, int height)
    {
        var count = 0;
        for (var y = top; y < top + height; y++)
        {
            for (var x = left; x < left + width; x++)
            {
                count += picture[x, y].R < 120 ? 1 : 0;
            }
        }

        return count;
    }
}
