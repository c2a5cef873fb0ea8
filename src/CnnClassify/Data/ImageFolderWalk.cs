namespace CnnClassify.Data;

/// <summary>
/// Lists an image folder's files the way <see cref="ImageFolderDataset"/> reads them: each class
/// folder's files and subfolders, in ordinal order, without ever reading one file twice. A link
/// that leads back into the image folder (which would read its images again, perhaps under
/// another class, or loop forever) is an error; so is a link that leads outside it, unless
/// following such links was asked for, and then a link back to a folder already walked is a cycle.
/// </summary>
internal sealed class ImageFolderWalk
{
    private const int MaxDepth = 64;

    private readonly string _root;
    private readonly bool _followLinks;
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal);

    /// <summary>Starts a walk of the image folder <paramref name="root"/>.</summary>
    public ImageFolderWalk(string root, bool followLinks)
    {
        _root = Real(root);
        _followLinks = followLinks;
    }

    /// <summary>Every file under <paramref name="folder"/> (a class folder of the root), in ordinal order.</summary>
    /// <exception cref="InvalidDataException">A link leads back into the image folder, around a cycle, or (unless followed) outside it; the message names the link.</exception>
    public List<string> Files(string folder)
    {
        var files = new List<string>();
        var real = Real(folder);
        if (new DirectoryInfo(folder).LinkTarget is not null)
        {
            CheckLink(Path.GetFullPath(folder), real);
        }

        Walk(folder, real, files, 0);
        return files;
    }

    private void Walk(string folder, string real, List<string> files, int depth)
    {
        if (!_folders.Add(real))
        {
            throw new InvalidDataException($"Image folder '{_root}': '{folder}' leads to '{real}', a folder already read (a cycle of links).");
        }

        if (depth > MaxDepth)
        {
            throw new InvalidDataException($"Image folder '{_root}': '{folder}' lies more than {MaxDepth} folders deep.");
        }

        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var target = entry.LinkTarget is null ? null : Target(entry);
            if (entry is DirectoryInfo || target is DirectoryInfo)
            {
                var realTarget = target is null ? Path.Combine(real, entry.Name) : Real(target.FullName);
                if (target is not null)
                {
                    CheckLink(entry.FullName, realTarget);
                }

                Walk(entry.FullName, realTarget, files, depth + 1);
            }
            else if (target is null || target.Exists)
            {
                if (target is not null)
                {
                    CheckLink(entry.FullName, Real(target.FullName));
                }

                files.Add(entry.FullName);
            }
        }
    }

    // A link may lead outside the image folder only when asked, and never back into it.
    private void CheckLink(string link, string target)
    {
        if (IsWithin(target, _root))
        {
            throw new InvalidDataException($"Image folder '{_root}': '{link}' links to '{target}', inside the image folder, so its images would be read twice (perhaps under another class, or forever); remove the link.");
        }

        if (!_followLinks)
        {
            throw new InvalidDataException($"Image folder '{_root}': '{link}' links to '{target}', outside the image folder; links are followed only when asked (--follow-links, ImageFolderOptions.FollowLinks).");
        }
    }

    private static FileSystemInfo? Target(FileSystemInfo link)
    {
        try
        {
            return link.ResolveLinkTarget(returnFinalTarget: true);
        }
        catch (IOException ex)
        {
            throw new InvalidDataException($"'{link.FullName}' is a link that cannot be followed ({ex.Message}).", ex);
        }
    }

    private static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    // The path with every link along it resolved, as realpath(3) gives it: a link in a middle
    // component (the root reached through a linked folder, a link to a link's subfolder) must
    // not make two names for one folder.
    private static string Real(string path)
    {
        const int MaxLinks = 40;
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var remaining = new List<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        var current = root;
        var links = 0;
        while (remaining.Count > 0)
        {
            var part = remaining[0];
            remaining.RemoveAt(0);
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new InvalidDataException($"'{path}' passes through more than {MaxLinks} links (a loop of links).");
            }

            var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            var resolvedRoot = Path.GetPathRoot(resolved)!;
            remaining.InsertRange(0, resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
            current = resolvedRoot;
        }

        return current.Length > root.Length ? current.TrimEnd(Path.DirectorySeparatorChar) : current;
    }
}
