using System.Runtime.InteropServices;
using CnnClassify.Runtime;

namespace CnnClassify.Native;

/// <summary>
/// What LibTorch sees of this CPU: the vector instruction set its kernels dispatch to
/// (<c>at::get_cpu_capability</c>, which honours <c>ATEN_CPU_CAPABILITY</c>) and the feature
/// flags it reads through cpuinfo (<c>at::cpu::is_avx512_bf16_supported</c> and its siblings).
/// The precision and layout defaults are chosen from it (<see cref="Runtime.Precision.Auto"/>).
/// </summary>
public sealed record CpuCapabilities
{
    private static readonly Lazy<CpuCapabilities> Detected = new(Read);

    /// <summary>The capabilities of this process's CPU as LibTorch reports them, read once.</summary>
    public static CpuCapabilities Current => Detected.Value;

    /// <summary>
    /// The instruction set ATen's kernels dispatch to: <c>AVX512</c>, <c>AVX2</c>, <c>DEFAULT</c>
    /// (x86), <c>ZVECTOR</c> or <c>SVE256</c>; <c>unknown</c> where LibTorch's export cannot be read
    /// (read on Linux x64 only). Lowered by <c>ATEN_CPU_CAPABILITY</c>.
    /// </summary>
    public string AtenCapability { get; init; } = "unknown";

    /// <summary>Whether the CPU has AVX2 (and FMA).</summary>
    public bool Avx2 { get; init; }

    /// <summary>Whether the CPU has AVX-512 (F, BW, VL and DQ), as LibTorch requires for its AVX512 kernels.</summary>
    public bool Avx512 { get; init; }

    /// <summary>Whether the CPU has AVX-512 VNNI (int8 dot products).</summary>
    public bool Avx512Vnni { get; init; }

    /// <summary>Whether the CPU has AVX-512 BF16: bfloat16 dot products in hardware.</summary>
    public bool Avx512Bf16 { get; init; }

    /// <summary>Whether the CPU has AMX tiles (Intel Sapphire Rapids and later): bfloat16 and int8 matrix units.</summary>
    public bool AmxTile { get; init; }

    /// <summary>Whether the CPU has AMX FP16.</summary>
    public bool AmxFp16 { get; init; }

    /// <summary>
    /// The <c>ONEDNN_MAX_CPU_ISA</c> cap on oneDNN, LibTorch's convolution library, or
    /// <see langword="null"/> when unset. oneDNN reads it once, at its first primitive.
    /// </summary>
    public string? OneDnnMaxIsa { get; init; }

    /// <summary>Whether the capabilities could be read from LibTorch at all.</summary>
    public bool Known { get; init; }

    /// <summary>
    /// Whether bfloat16 convolutions and matrix products run in hardware: AVX-512 BF16 or AMX,
    /// with ATen dispatching to its AVX512 kernels and oneDNN not capped below
    /// <c>avx512_core_bf16</c>. Elsewhere LibTorch emulates bf16, which trains several times slower
    /// than float32 (about 8x on an AVX2 CPU).
    /// </summary>
    public bool NativeBf16 =>
        (Avx512Bf16 || AmxTile)
        && AtenCapability == "AVX512"
        && OneDnnAllowsBf16(OneDnnMaxIsa);

    /// <summary>A one-line description, such as <c>AVX2 (FMA; no AVX-512, no native bf16)</c>.</summary>
    public string Describe()
    {
        if (!Known)
        {
            return "unknown (LibTorch's CPU functions cannot be read on this platform)";
        }

        var features = new List<string>();
        if (Avx512)
        {
            features.Add("AVX-512");
        }

        if (Avx512Vnni)
        {
            features.Add("VNNI");
        }

        if (Avx512Bf16)
        {
            features.Add("AVX-512 BF16");
        }

        if (AmxTile)
        {
            features.Add(AmxFp16 ? "AMX (bf16, int8, fp16)" : "AMX (bf16, int8)");
        }

        if (!Avx512 && Avx2)
        {
            features.Add("AVX2, no AVX-512");
        }

        features.Add(NativeBf16 ? "native bf16" : "no native bf16");
        var cap = OneDnnMaxIsa is null ? string.Empty : $"; oneDNN capped to {OneDnnMaxIsa}";
        return $"{AtenCapability} kernels ({string.Join(", ", features)}{cap})";
    }

    /// <summary>The CPU's model name, as the operating system reports it; for reports only.</summary>
    public static string ProcessorName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").Take(64).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line?.Split(':', 2) is [_, var name])
                {
                    return name.Trim();
                }
            }
        }
        catch (IOException)
        {
            // Fall through to the architecture.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>Whether a <c>ONEDNN_MAX_CPU_ISA</c> value lets oneDNN use its bf16 kernels.</summary>
    internal static bool OneDnnAllowsBf16(string? maxIsa) =>
        maxIsa is null
        || maxIsa.Equals("ALL", StringComparison.OrdinalIgnoreCase)
        || maxIsa.StartsWith("AVX512_CORE_BF16", StringComparison.OrdinalIgnoreCase)
        || maxIsa.StartsWith("AVX512_CORE_FP16", StringComparison.OrdinalIgnoreCase)
        || maxIsa.StartsWith("AVX512_CORE_AMX", StringComparison.OrdinalIgnoreCase)
        || maxIsa.StartsWith("AVX10", StringComparison.OrdinalIgnoreCase);

    private static unsafe CpuCapabilities Read()
    {
        var maxIsa = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA");
        maxIsa = string.IsNullOrWhiteSpace(maxIsa) ? null : maxIsa.Trim();
        // The std::string return below follows the x86-64 System V convention; elsewhere nothing is read.
        if (LibTorchExports.LoadFailure.Length > 0 || !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return new CpuCapabilities { OneDnnMaxIsa = maxIsa };
        }

        static bool Flag(string mangledName)
        {
            var address = LibTorchExports.Find(mangledName);
            return address != IntPtr.Zero && ((delegate* unmanaged<byte>)address)() != 0;
        }

        return new CpuCapabilities
        {
            Known = true,
            AtenCapability = AtenCapabilityName(),
            Avx2 = Flag("_ZN2at3cpu17is_avx2_supportedEv"),
            Avx512 = Flag("_ZN2at3cpu19is_avx512_supportedEv"),
            Avx512Vnni = Flag("_ZN2at3cpu24is_avx512_vnni_supportedEv"),
            Avx512Bf16 = Flag("_ZN2at3cpu24is_avx512_bf16_supportedEv"),
            AmxTile = Flag("_ZN2at3cpu21is_amx_tile_supportedEv"),
            AmxFp16 = Flag("_ZN2at3cpu21is_amx_fp16_supportedEv"),
            OneDnnMaxIsa = maxIsa,
        };
    }

    /// <summary>
    /// Calls <c>std::string at::get_cpu_capability()</c>. The Itanium C++ ABI returns a
    /// <c>std::string</c> through a caller-provided 32-byte slot (pointer, length, then a 16-byte
    /// inline buffer that short strings such as "AVX512" live in).
    /// </summary>
    private static unsafe string AtenCapabilityName()
    {
        var address = LibTorchExports.Find("_ZN2at18get_cpu_capabilityB5cxx11Ev");
        if (address == IntPtr.Zero)
        {
            return "unknown";
        }

        var slot = stackalloc byte[32];
        ((delegate* unmanaged<byte*, void>)address)(slot);
        var data = *(byte**)slot;
        var length = *(nuint*)(slot + 8);
        var text = length <= 64 ? Marshal.PtrToStringUTF8((IntPtr)data, (int)length) : "unknown";
        if (data != slot + 16)
        {
            // A long string lives on the heap, allocated by operator new, which is malloc in libstdc++.
            NativeMemory.Free(data);
        }

        return text;
    }
}
