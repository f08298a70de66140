//! Bad input: every error is one line naming file, line, key and what is allowed, secrets
//! are never echoed, and no input panics.

use super::*;

/// Each case: the svcpack section, the expected key path, and substrings of the message.
/// The offending line carries `# <-`.
const BAD: &[(&str, &str, &[&str])] = &[
    // The service name.
    (
        "[package.metadata.svcpack.service]\nname = \"Ledger/Agent\" # <-\n",
        "package.metadata.svcpack.service.name",
        &["Ledger/Agent", "1-256 characters without `/` or `\\`"],
    ),
    (
        "[package.metadata.svcpack.service]\nname = 'Ledger\\Agent' # <-\n",
        "package.metadata.svcpack.service.name",
        &["1-256 characters without `/` or `\\`"],
    ),
    (
        "[package.metadata.svcpack.service]\nname = \"\" # <-\n",
        "package.metadata.svcpack.service.name",
        &["must not be empty", "1-256"],
    ),
    // Start type, account.
    (
        "[package.metadata.svcpack.service]\nstart = \"automatic\" # <-\n",
        "package.metadata.svcpack.service.start",
        &["unknown start type `automatic`", "did you mean `auto`?", "allowed: auto, delayed, demand, disabled"],
    ),
    (
        "[package.metadata.svcpack.service]\nstart = \"manual\" # <-\n",
        "package.metadata.svcpack.service.start",
        &["did you mean `demand`?", "allowed: auto, delayed, demand, disabled"],
    ),
    (
        "[package.metadata.svcpack.service]\naccount = \"\" # <-\n",
        "package.metadata.svcpack.service.account",
        &["must not be empty", "LocalSystem, LocalService, NetworkService, virtual, or DOMAIN\\user"],
    ),
    // Service settings the installer applies with ChangeServiceConfig2W.
    (
        "[package.metadata.svcpack.service]\nsid-type = \"unrestriced\" # <-\n",
        "package.metadata.svcpack.service.sid-type",
        &["unknown SID type `unrestriced`", "did you mean `unrestricted`?", "allowed: none, unrestricted, restricted"],
    ),
    (
        "[package.metadata.svcpack.service]\nrequired-privileges = [\"SeChangeNotifyPrivilege\", \"ChangeNotify\"] # <-\n",
        "package.metadata.svcpack.service.required-privileges[1]",
        &["`ChangeNotify` is not a privilege name", "`Se…Privilege`"],
    ),
    (
        "[package.metadata.svcpack.service]\nrequired-privileges = [\"SeServiceLogonRight\"] # <-\n",
        "package.metadata.svcpack.service.required-privileges[0]",
        &["not a privilege name", "account right"],
    ),
    (
        "[package.metadata.svcpack.service]\nrequired-privileges = [\"SeChangeNotifyPrivlege\"] # <-\n",
        "package.metadata.svcpack.service.required-privileges[0]",
        &["not a privilege name"],
    ),
    (
        "[package.metadata.svcpack.service]\nrequired-privileges = [\"SeFrobnicatePrivilege\"] # <-\n",
        "package.metadata.svcpack.service.required-privileges[0]",
        &["unknown privilege `SeFrobnicatePrivilege`", "Windows' privileges"],
    ),
    (
        "[package.metadata.svcpack.service]\nrequired-privileges = [\"SeDebugPrivilege\", \"sedebugprivilege\"] # <-\n",
        "package.metadata.svcpack.service.required-privileges[1]",
        &["`SeDebugPrivilege` is listed twice"],
    ),
    (
        "[package.metadata.svcpack.service]\nrequired-privileges = [] # <-\n",
        "package.metadata.svcpack.service.required-privileges",
        &["is empty", "omit the key"],
    ),
    (
        "[package.metadata.svcpack.service]\npreshutdown-timeout-secs = -1 # <-\n",
        "package.metadata.svcpack.service.preshutdown-timeout-secs",
        &["1", "600"],
    ),
    (
        "[package.metadata.svcpack.service]\npreshutdown-timeout-secs = 86400 # <-\n",
        "package.metadata.svcpack.service.preshutdown-timeout-secs",
        &["1", "600"],
    ),
    (
        "[package.metadata.svcpack.service]\npreshutdown-timeout-secs = 0 # <-\n",
        "package.metadata.svcpack.service.preshutdown-timeout-secs",
        &["1", "600"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nnon-crash-failures = true # <-\n",
        "package.metadata.svcpack.service.recovery.non-crash-failures",
        &["no recovery `actions`", "set `actions`"],
    ),
    (
        "[package.metadata.svcpack.service]\naccount = 'CORP\\svc'\nsid-type = \"none\" # <-\n[package.metadata.svcpack.service.host]\n",
        "package.metadata.svcpack.service.sid-type",
        &["named account", "allowed: unrestricted, restricted"],
    ),
    (
        "[package.metadata.svcpack.service]\naccount = 'CORP\\svc'\npassword = \"hunter2\" # <-\n",
        "package.metadata.svcpack.service.password",
        &["never written in the configuration", "SVCPACK_SERVICE_PASSWORD", "-AccountPassword"],
    ),
    (
        "[package.metadata.svcpack.service]\nsid-type = \"none\" # <-\n",
        "package.metadata.svcpack.service.sid-type",
        &["virtual account NT SERVICE\\<name>", "service SID", "allowed: unrestricted, restricted", "set `account`"],
    ),
    (
        "[package.metadata.svcpack.service]\naccount = \"virtual\"\nsid-type = \"none\" # <-\n",
        "package.metadata.svcpack.service.sid-type",
        &["virtual account"],
    ),
    // Recovery.
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\n  \"restart\",\n  \"explode\", # <-\n]\n",
        "package.metadata.svcpack.service.recovery.actions[1]",
        &["unknown recovery action `explode`", "allowed: restart, reboot, run, none"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"restart\", \"restart\", \"none\"]\ndelays-secs = [5, 30] # <-\n",
        "package.metadata.svcpack.service.recovery.delays-secs",
        &["2 delay(s)", "3 action(s)", "one delay per action"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\ndelays-secs = [5] # <-\n",
        "package.metadata.svcpack.service.recovery.delays-secs",
        &["one delay per action"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"restart\", \"run\"] # <-\ndelays-secs = [1, 2]\n",
        "package.metadata.svcpack.service.recovery.command",
        &["`run` action", "actions[1]", "needs `command`"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"restart\"]\ndelays-secs = [-1] # <-\n",
        "package.metadata.svcpack.service.recovery.delays-secs[0]",
        &["-1 is out of range", "from 0 to 4294967"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"restart\"]\ndelays-secs = [4294968] # <-\n",
        "package.metadata.svcpack.service.recovery.delays-secs[0]",
        &["from 0 to 4294967"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nreset-after-secs = -5 # <-\n",
        "package.metadata.svcpack.service.recovery.reset-after-secs",
        &["out of range"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"ru\\nn\"] # <-\n",
        "package.metadata.svcpack.service.recovery.actions[0]",
        &["unknown recovery action `ru\\nn`"],
    ),
    // Upgrade code.
    (
        "[package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-...\" # <-\n",
        "package.metadata.svcpack.upgrade-code",
        &["malformed GUID `8E0B5A7C-...`", "allowed: a GUID like"],
    ),
    (
        "[package.metadata.svcpack]\nupgrade-code = \"{00000000-0000-0000-0000-000000000000}\" # <-\n",
        "package.metadata.svcpack.upgrade-code",
        &["nil GUID"],
    ),
    // Files.
    (
        "[[package.metadata.svcpack.files]]\nsource = \"config/missing.toml\" # <-\n",
        "package.metadata.svcpack.files[0].source",
        &["file not found: `config/missing.toml`", "manifest directory"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"config\" # <-\n",
        "package.metadata.svcpack.files[0].source",
        &["is a directory"],
    ),
    (
        "[[package.metadata.svcpack.files]] # <-\ndest = \"x\"\n",
        "package.metadata.svcpack.files[0].source",
        &["missing"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndest = \"../outside.txt\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["escapes the install directory", "relative path inside the install directory"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndest = \"C:\\\\Windows\\\\x.txt\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["is absolute", "inside the install directory"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndest = \"/etc/passwd\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["is absolute"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\n[[package.metadata.svcpack.files]]\nsource = \"config/agent.toml\"\ndest = \"license\" # <-\n",
        "package.metadata.svcpack.files[1].dest",
        &["already used by package.metadata.svcpack.files[0]"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndest = \"Ledger-Agent.exe\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["already used by the program ledger-agent.exe"],
    ),
    (
        "[package.metadata.svcpack]\nlicense = \"LICENSE\"\n[[package.metadata.svcpack.files]]\nsource = \"config/agent.toml\"\ndest = \"License\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["already used by the license file"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"config/agent.toml\"\ndest = \"./install.ps1\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["already used by the portable zip's install.ps1"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndest = \"sub/../x\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["contains `..`"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndest = \".\" # <-\n",
        "package.metadata.svcpack.files[0].dest",
        &["names no file"],
    ),
    (
        "[package.metadata.svcpack.files] # <-\nsource = \"LICENSE\"\n",
        "package.metadata.svcpack.files",
        &["expected an array of tables ([[package.metadata.svcpack.files]]"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\npreserve-on-upgrade = \"yes\" # <-\n",
        "package.metadata.svcpack.files[0].preserve-on-upgrade",
        &["expected a boolean (true or false), found a string"],
    ),
    // License, icon.
    (
        "[package.metadata.svcpack]\nlicense = \"LICENSE.md\" # <-\n",
        "package.metadata.svcpack.license",
        &["file not found: `LICENSE.md`"],
    ),
    (
        "[package.metadata.svcpack]\nicon = \"assets/missing.ico\" # <-\n",
        "package.metadata.svcpack.icon",
        &["file not found"],
    ),
    // Unknown keys, with hints.
    (
        "[package.metadata.svcpack.service]\nstrat = \"auto\" # <-\n",
        "package.metadata.svcpack.service.strat",
        &["unknown key", "did you mean `start`?", "allowed: name, display-name"],
    ),
    (
        "[package.metadata.svcpack]\nproduct_name = \"x\" # <-\n",
        "package.metadata.svcpack.product_name",
        &["did you mean `product-name`?"],
    ),
    (
        "[package.metadata.svcpack]\nupgrade-guid = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\" # <-\n",
        "package.metadata.svcpack.upgrade-guid",
        &["did you mean `upgrade-code`?"],
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"run\"]\ncomand = \"x\" # <-\n",
        "package.metadata.svcpack.service.recovery.comand",
        &["did you mean `command`?"],
    ),
    (
        "[package.metadata.svcpack]\nstart = \"auto\" # <-\n",
        "package.metadata.svcpack.start",
        &["belongs in [package.metadata.svcpack.service]"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog_max_bytes = 5 # <-\n",
        "package.metadata.svcpack.service.host.log_max_bytes",
        &["did you mean `log-max-bytes`?"],
    ),
    (
        "[package.metadata.svcpack.servce] # <-\nname = \"x\"\n",
        "package.metadata.svcpack.servce",
        &["did you mean `service`?"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"LICENSE\"\ndestination = \"x\" # <-\n",
        "package.metadata.svcpack.files[0].destination",
        &["did you mean `dest`?"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\nfrobnicate = true # <-\n",
        "package.metadata.svcpack.sign.frobnicate",
        &["unknown key; allowed: certificate, certificate-env, password-env, timestamp-url, tool, command"],
    ),
    // Wrong types.
    (
        "[package.metadata.svcpack]\nproduct-name = 42 # <-\n",
        "package.metadata.svcpack.product-name",
        &["expected a string, found an integer"],
    ),
    (
        "[package.metadata.svcpack.service]\narguments = \"--port 1\" # <-\n",
        "package.metadata.svcpack.service.arguments",
        &["expected an array, found a string"],
    ),
    (
        "[package.metadata.svcpack.service]\narguments = [\"--port\", 1] # <-\n",
        "package.metadata.svcpack.service.arguments[1]",
        &["expected a string, found an integer"],
    ),
    (
        "[package.metadata.svcpack.service]\nevent-source = \"true\" # <-\n",
        "package.metadata.svcpack.service.event-source",
        &["expected a boolean"],
    ),
    (
        "[package.metadata.svcpack]\nservice = \"LedgerAgent\" # <-\n",
        "package.metadata.svcpack.service",
        &["expected a table, found a string"],
    ),
    (
        "[package.metadata.svcpack]\nproduct-name = 1979-05-27 # <-\n",
        "package.metadata.svcpack.product-name",
        &["expected a string, found a datetime"],
    ),
    (
        "[package.metadata.svcpack]\nproduct-name = \"  \" # <-\n",
        "package.metadata.svcpack.product-name",
        &["must not be empty"],
    ),
    // Other top-level values.
    (
        "[package.metadata.svcpack]\ncompress = \"gzip\" # <-\n",
        "package.metadata.svcpack.compress",
        &["unknown compression `gzip`", "allowed: none, upx"],
    ),
    (
        "[package.metadata.svcpack]\nbackend = \"wix3\" # <-\n",
        "package.metadata.svcpack.backend",
        &["unknown backend `wix3`", "did you mean `wix`?", "allowed: native, wix"],
    ),
    (
        "[package.metadata.svcpack]\nbinary = \"ledger\" # <-\n",
        "package.metadata.svcpack.binary",
        &["`ledger` names no bin target", "allowed: ledger-agent"],
    ),
    (
        "[package.metadata.svcpack]\ninstall-dir = \"../Windows\" # <-\n",
        "package.metadata.svcpack.install-dir",
        &["escapes Program Files"],
    ),
    (
        "[package.metadata.svcpack]\ninstall-dir = \".\" # <-\n",
        "package.metadata.svcpack.install-dir",
        &["must name a folder"],
    ),
    (
        "[package.metadata.svcpack]\nproduct-name = \"Ledger: Agent\" # <-\n",
        "package.metadata.svcpack.product-name",
        &["cannot be the install folder", "set install-dir"],
    ),
    (
        "[package.metadata.svcpack]\ninstall-dir = \"Agent\"\nproduct-name = \"Ledger Agent\"\n[package.metadata.svcpack.service]\ndisplay-name = \"\" # <-\n",
        "package.metadata.svcpack.service.display-name",
        &["must not be empty"],
    ),
    (
        "[package.metadata.svcpack.service]\ndependencies = [\"Tcpip\", \"a/b\"] # <-\n",
        "package.metadata.svcpack.service.dependencies[1]",
        &["dependency `a/b`"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncommand = [\"jsign\", \"--alg\", \"{digest-alg}\", \"{file}\"] # <-\n",
        "package.metadata.svcpack.sign.command",
        &["unknown placeholder `{digest-alg}`", "{file}, {digest}, {timestamp-url}"],
    ),
    // Signing with a PKCS#11 key.
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:token=rel;objet=k\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["unknown attribute `objet`", "did you mean `object`?", "RFC 7512"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:token=rel\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["names no object"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:token=my rel;object=k\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["must be percent-encoded"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:token=rel/2;object=k\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["character 4 must be percent-encoded", "allowed: an RFC 7512 URI like"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k?module-path=/usr/lib/a&b.so\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["attribute `b.so` has no `=value`"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k;type=cert\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["private key", "type=private"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k?pin-value=hunter2-secret\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["pin-value", "pin-env"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"token=rel;object=k\" # <-\n",
        "package.metadata.svcpack.sign.key",
        &["not a pkcs11: URI"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k\"\ncertificate-env = \"PFX\" # <-\n",
        "package.metadata.svcpack.sign.certificate-env",
        &["not used with pkcs11-module", "chain"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k\"\ncertificate = \"signer.pem\"\npassword-env = \"PW\" # <-\n",
        "package.metadata.svcpack.sign.password-env",
        &["pin-env"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\npin-env = \"HSM_PIN\" # <-\n",
        "package.metadata.svcpack.sign.pin-env",
        &["only used with pkcs11-module"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k\"\ncertificate = \"signer.pem\"\npin-env = \"1234\" # <-\n",
        "package.metadata.svcpack.sign.pin-env",
        &["name of an environment variable"],
    ),
    (
        "[package.metadata.svcpack.sign] # <-\npkcs11-module = \"/usr/lib/p11.so\"\ncertificate = \"signer.pem\"\n",
        "package.metadata.svcpack.sign.key",
        &["missing", "RFC 7512"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k\"\ncertificate = \"signer.pfx\" # <-\n",
        "package.metadata.svcpack.sign.certificate",
        &["not a certificate chain", "PEM or DER"],
    ),
    (
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\nkey = \"pkcs11:object=k\"\ncertificate = \"signer.pem\"\ntool = \"signtool\" # <-\n",
        "package.metadata.svcpack.sign.tool",
        &["osslsigncode"],
    ),
    (
        "[[package.metadata.svcpack.files]]\nsource = \"config/agent.toml\"\nsign = \"no\" # <-\n",
        "package.metadata.svcpack.files[0].sign",
        &["expected a boolean"],
    ),
    // Signing.
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\ncertificate-env = \"PFX\" # <-\n",
        "package.metadata.svcpack.sign.certificate-env",
        &["either certificate", "not both"],
    ),
    (
        "[package.metadata.svcpack.sign] # <-\npassword-env = \"PW\"\n",
        "package.metadata.svcpack.sign.certificate",
        &["certificate = \"signer.pfx\"", "certificate-env"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"missing.pfx\" # <-\n",
        "package.metadata.svcpack.sign.certificate",
        &["file not found"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\npassword = \"hunter2\" # <-\n",
        "package.metadata.svcpack.sign.password",
        &["password-env"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\npassword-env = \"hunter2!\" # <-\n",
        "package.metadata.svcpack.sign.password-env",
        &["name of an environment variable"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\ntimestamp-url = \"timestamp.digicert.com\" # <-\n",
        "package.metadata.svcpack.sign.timestamp-url",
        &["not a URL", "http:// or https://"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\ntimestamp-url = 5 # <-\n",
        "package.metadata.svcpack.sign.timestamp-url",
        &["expected a string or an array of strings"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\ntool = \"osslsign\" # <-\n",
        "package.metadata.svcpack.sign.tool",
        &["unknown signing tool `osslsign`", "did you mean `osslsigncode`?", "allowed: auto, osslsigncode, signtool, command"],
    ),
    (
        "[package.metadata.svcpack.sign]\ncommand = [\"jsign\", \"--in\"] # <-\n",
        "package.metadata.svcpack.sign.command",
        &["{file}"],
    ),
    (
        "[package.metadata.svcpack.sign] # <-\ntool = \"command\"\n",
        "package.metadata.svcpack.sign.command",
        &["needs command = ["],
    ),
    (
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\ntool = \"signtool\"\ncommand = [\"x\", \"{file}\"] # <-\n",
        "package.metadata.svcpack.sign.command",
        &["only used with tool = \"command\""],
    ),
    // Host.
    (
        "[package.metadata.svcpack.service.host]\nstop-timeout-secs = 0 # <-\n",
        "package.metadata.svcpack.service.host.stop-timeout-secs",
        &["0 is out of range", "positive"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog-max-bytes = 0 # <-\n",
        "package.metadata.svcpack.service.host.log-max-bytes",
        &["0 is out of range", "positive"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog-max-bytes = -10 # <-\n",
        "package.metadata.svcpack.service.host.log-max-bytes",
        &["-10 is out of range"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog-keep = 0 # <-\n",
        "package.metadata.svcpack.service.host.log-keep",
        &["out of range"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nrestart-delay-secs = -1 # <-\n",
        "package.metadata.svcpack.service.host.restart-delay-secs",
        &["out of range"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog-dir = \"../logs\" # <-\n",
        "package.metadata.svcpack.service.host.log-dir",
        &["escapes the install directory"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog-dir = \"C:\\\\ProgramData\\\\logs\" # <-\n",
        "package.metadata.svcpack.service.host.log-dir",
        &["is absolute"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nlog-dir = \".\" # <-\n",
        "package.metadata.svcpack.service.host.log-dir",
        &["install directory itself", "a folder inside"],
    ),
    (
        "[package.metadata.svcpack.service.host.environment]\nX = \"a\\nb\" # <-\n",
        "package.metadata.svcpack.service.host.environment.X",
        &["line break"],
    ),
    (
        "[package.metadata.svcpack.service]\narguments = [\"ok\", \"a\\nb\"] # <-\n[package.metadata.svcpack.service.host]\n",
        "package.metadata.svcpack.service.arguments",
        &["argument 2", "line break"],
    ),
    (
        "[package.metadata.svcpack.service.host]\nworking-dir = \"/srv\" # <-\n",
        "package.metadata.svcpack.service.host.working-dir",
        &["is absolute"],
    ),
    (
        "[package.metadata.svcpack.service.host.environment]\nPORT = 8080 # <-\n",
        "package.metadata.svcpack.service.host.environment.PORT",
        &["expected a string, found an integer"],
    ),
    (
        "[package.metadata.svcpack.service.host.environment]\nPath = \"a\"\nPATH = \"b\" # <-\n",
        "package.metadata.svcpack.service.host.environment.PATH",
        &["same variable on Windows"],
    ),
    // TOML syntax.
    (
        "[package.metadata.svcpack # <-\nbackend = \"wix\"\n",
        "",
        &["TOML syntax error"],
    ),
    (
        "[package.metadata.svcpack]\nbackend = native # <-\n",
        "",
        &["TOML syntax error"],
    ),
    (
        "[package.metadata.svcpack]\nproduct-name = \"unterminated # <-\n",
        "",
        &["TOML syntax error"],
    ),
    (
        "[package.metadata.svcpack]\nbackend = \"native\"\nbackend = \"wix\" # <-\n",
        "",
        &["TOML syntax error", "duplicate"],
    ),
];

#[test]
fn bad_input_is_one_line_with_file_line_key_and_what_is_allowed() {
    let f = Fixture::new("bad");
    for (section, key, needles) in BAD {
        let text = cargo_toml(section);
        let err = match f.load(section) {
            Ok(_) => panic!("accepted:\n{section}"),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "multi-line: {msg}");
        assert_eq!(err.file, f.manifest());
        assert_eq!(err.line, Some(marked_line(&text)), "{msg}");
        if key.is_empty() {
            assert_eq!(err.key, None, "{msg}");
        } else {
            assert_eq!(err.key.as_deref(), Some(*key), "{msg}");
        }
        let prefix = match &err.key {
            Some(k) => format!("{}:{}: {k}: ", f.manifest().display(), marked_line(&text)),
            None => format!("{}:{}: ", f.manifest().display(), marked_line(&text)),
        };
        assert!(msg.starts_with(&prefix), "{msg}");
        for needle in *needles {
            assert!(msg.contains(needle), "`{msg}` lacks `{needle}`");
        }
    }
}

#[test]
fn secrets_are_never_echoed() {
    let f = Fixture::new("secrets");
    for section in [
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\npassword = \"hunter2-secret\"\n",
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\npassword-env = \"hunter2-secret\"\n",
        "[package.metadata.svcpack.sign]\ncertificate-env = \"hunter2-secret\"\n",
        "[package.metadata.svcpack.sign]\ncertificate = \"signer.pfx\"\npfx-password = \"hunter2-secret\"\n",
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/p11.so\"\nkey = \"pkcs11:object=k?pin-value=hunter2-secret\"\n",
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/p11.so\"\nkey = \"pkcs11:object=k\"\ncertificate = \"signer.pem\"\npin-env = \"hunter2-secret\"\n",
        "[package.metadata.svcpack.service]\naccount = 'CORP\\svc'\npassword = \"hunter2-secret\"\n",
        "[package.metadata.svcpack.service]\naccount = 'CORP\\svc'\naccount-password = \"hunter2-secret\"\n",
    ] {
        let err = f.load(section).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }
}

#[test]
fn binary_choice_errors_list_the_targets() {
    let f = Fixture::new("bins");
    let mut pkg = f.pkg();
    pkg.bins = vec!["ledger-agent".into(), "ledger-cli".into()];
    let err = f
        .load_with("[package.metadata.svcpack]\n", &pkg)
        .unwrap_err();
    assert_eq!(err.key.as_deref(), Some("package.metadata.svcpack.binary"));
    assert_eq!(err.line, Some(5)); // the [package.metadata.svcpack] header
    assert!(err.message.contains("several bin targets"), "{err}");
    assert!(
        err.message.contains("allowed: ledger-agent, ledger-cli"),
        "{err}"
    );
    let c = f
        .load_with(
            "[package.metadata.svcpack]\nbinary = \"ledger-cli\"\n",
            &pkg,
        )
        .unwrap()
        .config;
    assert_eq!(c.binary, "ledger-cli");
    // With no section at all there is no line to point at.
    let err = f.load_with("", &pkg).unwrap_err();
    assert_eq!(err.line, None);
    assert!(
        err.to_string()
            .contains(": package.metadata.svcpack.binary: "),
        "{err}"
    );
    pkg.bins.clear();
    let err = f.load_with("", &pkg).unwrap_err();
    assert!(err.message.contains("no bin target"), "{err}");
}

#[test]
fn version_beyond_msi_limits_points_at_package_version() {
    let f = Fixture::new("version");
    for (v, field) in [
        ("256.0.0", "major"),
        ("1.256.0", "minor"),
        ("0.0.65536", "patch"),
    ] {
        let mut pkg = f.pkg();
        pkg.version = semver::Version::parse(v).unwrap();
        let err = f.load_with("", &pkg).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("package.version"));
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("255.255.65535"), "{err}");
        assert!(err.message.contains(field), "{err}");
    }
    let mut pkg = f.pkg();
    pkg.version = semver::Version::parse("255.255.65535").unwrap();
    assert!(f.load_with("", &pkg).is_ok());
}

/// Every prefix of a rich configuration, and every value of it replaced by values of other
/// types, loads or fails cleanly: no input panics.
#[test]
fn no_input_panics() {
    let f = Fixture::new("no-panic");
    let full = cargo_toml(FULL);
    let pkg = f.pkg();
    for (i, _) in full.char_indices() {
        let _ = load_cargo_str(&f.manifest(), &full[..i], &pkg);
    }
    let standalone = STANDALONE_FULL;
    for (i, _) in standalone.char_indices() {
        let _ = load_standalone_str(&f.dir.join("svcpack.toml"), &standalone[..i]);
    }
    let replacements = [
        "1",
        "-1",
        "0",
        "\"\"",
        "\"x\"",
        "[]",
        "[1]",
        "{}",
        "true",
        "1.5",
        "9223372036854775807",
    ];
    for (n, line) in FULL.lines().enumerate() {
        let Some((key, _)) = line.split_once(" = ") else {
            continue;
        };
        for r in replacements {
            let mut lines: Vec<String> = FULL.lines().map(String::from).collect();
            lines[n] = format!("{key} = {r}");
            let section = lines.join("\n");
            let _ = f.load(&section);
        }
    }
}
