//! The portable scripts' firewall rules (`service.firewall`): the netsh.exe command lines
//! `install.ps1` and `uninstall.ps1` run. They are the MSI's installer helper's netsh calls
//! ([`crate::helper::firewall`]: the same rules, names, order and arguments), so a service
//! installed from the zip gets the rules an MSI install gives it. The one value not known
//! when the zip is built, the folder the service runs from, splits a program rule's
//! command line in two; the script joins the halves around it.

use crate::config::Service;
use crate::helper::firewall::{delete_args, Rule};
use crate::winargs::{quote_windows_arg, windows_command_line};

/// What the scripts run (each a netsh.exe command line, quoted by Windows rules).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct NetshLines {
    /// Deletes every rule of each name: before adding (install) and on uninstall.
    pub delete: Vec<String>,
    /// Adds each rule: the command line up to the service's folder, and from it on. The
    /// second half is empty for a rule that names no program (nothing goes between).
    pub add: Vec<(String, String)>,
}

/// Stands for the program's path while the rules are built; never in the output.
const PROGRAM: &str = "<program>";

/// The netsh command lines for `service`'s rules; a program rule allows `exe_name` in the
/// service's folder.
pub(crate) fn netsh_lines(service: &Service, exe_name: &str) -> NetshLines {
    let rules = crate::firewall::rules(service, PROGRAM);
    let mut out = NetshLines::default();
    let mut names: Vec<&str> = Vec::new();
    for r in &rules {
        if !names.contains(&r.name.as_str()) {
            names.push(&r.name);
            out.delete.push(windows_command_line(&delete_args(&r.name)));
        }
    }
    out.add = rules.iter().map(|r| add_line(r, exe_name)).collect();
    out
}

/// One rule's add command line, split before the folder when it names the program. The
/// program argument is quoted whatever the folder holds (install.ps1 refuses a folder with
/// a double quote, and the path ends in the exe's name, never in a backslash).
fn add_line(rule: &Rule, exe_name: &str) -> (String, String) {
    let args = rule.add_args();
    let program = format!("program={PROGRAM}");
    match args.iter().position(|a| *a == program) {
        None => (windows_command_line(&args), String::new()),
        Some(i) => {
            let before = windows_command_line(&args[..i]);
            let mut after = format!("\\{exe_name}\"");
            for a in &args[i + 1..] {
                after.push(' ');
                after.push_str(&quote_windows_arg(a));
            }
            (format!("{before} \"program="), after)
        }
    }
}
