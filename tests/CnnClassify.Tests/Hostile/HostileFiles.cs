using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace CnnClassify.Tests.Hostile;

/// <summary>Small files that describe, or inflate to, something large or wrong.</summary>
internal static class HostileFiles
{
    /// <summary>A copy of <paramref name="checkpoint"/> whose trainer.json is changed by <paramref name="edit"/>.</summary>
    public static string EditCheckpoint(string checkpoint, string path, Action<JsonObject> edit)
    {
        File.Copy(checkpoint, path, overwrite: true);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = archive.GetEntry("trainer.json")!;
        JsonObject state;
        using (var stream = entry.Open())
        {
            state = JsonNode.Parse(stream)!.AsObject();
        }

        edit(state);
        entry.Delete();
        using var writer = new StreamWriter(archive.CreateEntry("trainer.json").Open());
        writer.Write(state.ToJsonString());
        return path;
    }

    /// <summary>A copy of <paramref name="checkpoint"/> whose entry <paramref name="name"/> is replaced by <paramref name="length"/> bytes of <paramref name="fill"/>, deflated.</summary>
    public static string ReplaceEntry(string checkpoint, string path, string name, long length, byte fill)
    {
        File.Copy(checkpoint, path, overwrite: true);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Update);
        archive.GetEntry(name)?.Delete();
        using var stream = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
        WriteRepeated(stream, length, fill);
        return path;
    }

    /// <summary>A <c>torch.save</c>-style zip whose <c>data.pkl</c> is <paramref name="pickle"/>.</summary>
    public static string TorchZip(string path, Action<Stream> pickle)
    {
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var entry = archive.CreateEntry("archive/data.pkl", CompressionLevel.Fastest).Open())
        {
            pickle(entry);
        }

        using var version = archive.CreateEntry("archive/version").Open();
        version.Write("3\n"u8);
        return path;
    }

    /// <summary>An exported model whose configuration metadata is changed by <paramref name="edit"/>.</summary>
    public static string EditOnnx(string onnx, string path, Action<JsonObject> edit)
    {
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var entry = model.MetadataProps.Single(p => p.Key == "cnnclassify.model_configuration");
        var configuration = JsonNode.Parse(entry.Value)!.AsObject();
        edit(configuration);
        entry.Value = configuration.ToJsonString();
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>
    /// A TIFF of 8-bit grey pages of the given sizes, each page's pixels one deflated strip of
    /// zeros (pages of one size share it), so that a file of a few hundred kilobytes holds pages of
    /// hundreds of megapixels.
    /// </summary>
    public static string Tiff(string path, params (int Width, int Height)[] pages)
    {
        var strips = new Dictionary<(int, int), byte[]>();
        foreach (var page in pages.Distinct())
        {
            using var memory = new MemoryStream();
            using (var zlib = new ZLibStream(memory, CompressionLevel.Fastest, leaveOpen: true))
            {
                WriteRepeated(zlib, (long)page.Width * page.Height, 0);
            }

            strips[page] = memory.ToArray();
        }

        using var file = new MemoryStream();
        file.Write("II*\0"u8);
        file.Write(new byte[4]);
        var offsets = new Dictionary<(int, int), long>();
        foreach (var (page, data) in strips)
        {
            offsets[page] = file.Position;
            file.Write(data);
            if (file.Position % 2 == 1)
            {
                file.WriteByte(0);
            }
        }

        var previousLink = 4L;
        Span<byte> buffer = stackalloc byte[12];
        foreach (var page in pages)
        {
            var ifd = file.Position;
            Patch(file, previousLink, (uint)ifd);
            (ushort Tag, ushort Type, uint Value)[] entries =
            [
                (256, 4, (uint)page.Width), (257, 4, (uint)page.Height), (258, 3, 8), (259, 3, 8), (262, 3, 1),
                (273, 4, (uint)offsets[page]), (277, 3, 1), (278, 4, (uint)page.Height), (279, 4, (uint)strips[page].Length),
            ];
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)entries.Length);
            file.Write(buffer[..2]);
            foreach (var (tag, type, value) in entries)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(buffer, tag);
                BinaryPrimitives.WriteUInt16LittleEndian(buffer[2..], type);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], 1);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], value);
                file.Write(buffer);
            }

            previousLink = file.Position;
            file.Write(new byte[4]);
        }

        File.WriteAllBytes(path, file.ToArray());
        return path;
    }

    /// <summary>A safetensors file of <paramref name="count"/> empty float tensors.</summary>
    public static string EmptyTensors(string path, int count)
    {
        var header = new StringBuilder("{");
        for (var i = 0; i < count; i++)
        {
            header.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }

        var json = Encoding.UTF8.GetBytes(header.Append('}').ToString());
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        return path;
    }

    /// <summary>The JPEG at <paramref name="source"/>, cut after half of its bytes.</summary>
    public static string Truncated(string source, string path)
    {
        var bytes = File.ReadAllBytes(source);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        return path;
    }

    public static void WriteRepeated(Stream stream, long length, byte fill)
    {
        var block = new byte[1 << 20];
        Array.Fill(block, fill);
        for (var left = length; left > 0; left -= block.Length)
        {
            stream.Write(block, 0, (int)Math.Min(left, block.Length));
        }
    }

    private static void Patch(MemoryStream file, long at, uint value)
    {
        var end = file.Position;
        file.Position = at;
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        file.Write(buffer);
        file.Position = end;
    }
}
