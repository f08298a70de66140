//! Creating the files svcpack hands to its user: temporaries in the destination directory,
//! renamed into place when complete, with the permissions the user's umask asks for.

use std::path::Path;

/// A temporary file in `dir` for an artifact: created with mode 0666 less the umask, as
/// cargo and every packager create their outputs (tempfile's default is a private 0600,
/// which would leave artifacts unreadable to a web server or another CI user).
pub fn artifact_tempfile(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".svcpack-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}
