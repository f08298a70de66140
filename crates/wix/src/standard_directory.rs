//! The standard directories (Windows Installer's system folder properties) that a source may
//! use without defining, and the `DefaultDir` WiX v4 gives their rows.

/// The standard folder names WiX v4 gives `StandardDirectory` rows.
pub fn standard_directory_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "TARGETDIR" => "SourceDir",
        "AdminToolsFolder" => "Admin",
        "AppDataFolder" => "AppData",
        "CommonAppDataFolder" => "CommApp",
        "CommonFilesFolder" => "CFiles",
        "CommonFiles64Folder" => "CFiles64",
        "CommonFiles6432Folder" => ".",
        "DesktopFolder" => "Desktop",
        "FavoritesFolder" => "Favs",
        "FontsFolder" => "Fonts",
        "LocalAppDataFolder" => "LocalApp",
        "MyPicturesFolder" => "Pictures",
        "NetHoodFolder" => "NetHood",
        "PersonalFolder" => "Personal",
        "PerUserProgramFilesFolder" => "Programs",
        "PrintHoodFolder" => "Printers",
        "ProgramFilesFolder" => "PFiles",
        "ProgramFiles64Folder" => "PFiles64",
        "ProgramFiles6432Folder" => ".",
        "ProgramMenuFolder" => "PMenu",
        "RecentFolder" => "Recent",
        "SendToFolder" => "SendTo",
        "StartMenuFolder" => "StrtMenu",
        "StartupFolder" => "StartUp",
        "SystemFolder" => "System",
        "System16Folder" => "System16",
        "System64Folder" => "System64",
        "System6432Folder" => ".",
        "TempFolder" => "Temp",
        "TemplateFolder" => "Template",
        "WindowsFolder" => "Windows",
        _ => return None,
    })
}

/// The parent WiX's standard library gives a standard directory's row
/// (WixStandardLibrary.GetStandardDirectoryParent): the `*6432Folder` directories sit in
/// the platform's 32- or 64-bit folder (so their children install there), the per-user
/// program files folder in LocalAppDataFolder, everything else in TARGETDIR.
pub fn standard_directory_parent(id: &str, arch: &str) -> Option<&'static str> {
    let x86 = arch == "x86";
    Some(match id {
        "TARGETDIR" => return None,
        "CommonFiles6432Folder" if x86 => "CommonFilesFolder",
        "CommonFiles6432Folder" => "CommonFiles64Folder",
        "ProgramFiles6432Folder" if x86 => "ProgramFilesFolder",
        "ProgramFiles6432Folder" => "ProgramFiles64Folder",
        "System6432Folder" if x86 => "SystemFolder",
        "System6432Folder" => "System64Folder",
        "PerUserProgramFilesFolder" => "LocalAppDataFolder",
        _ => "TARGETDIR",
    })
}
