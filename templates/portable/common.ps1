# ---- helpers shared by install.ps1 and uninstall.ps1 ----

# Stops with exit status 1 before anything changes: without elevation sc.exe fails with
# "Access is denied" halfway through.
function Assert-Administrator {
    $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal($identity)
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        [Console]::Error.WriteLine("${ScriptName}: this script must run as Administrator. " +
            "Open PowerShell with 'Run as administrator' and run it again.")
        exit 1
    }
}

# Runs sc.exe (or -Program, another System32 tool) with a finished command line. The command lines are quoted by svcpack with the
# Windows (CommandLineToArgvW) rules and handed over unchanged, because PowerShell's own
# native-argument passing mangles embedded quotes (Windows PowerShell 5.1). Exit codes not
# in -Allowed stop the script; the code is also left in $LASTEXITCODE.
function Invoke-Sc {
    param(
        [Parameter(Mandatory = $true)][string]$Arguments,
        [int[]]$Allowed = @(0),
        [string]$Shown = '',
        [string]$Program = 'sc.exe'
    )
    if (-not $Shown) { $Shown = $Arguments }
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = [IO.Path]::Combine([Environment]::SystemDirectory, $Program)
    $psi.Arguments = $Arguments
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.CreateNoWindow = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $output = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    $global:LASTEXITCODE = $process.ExitCode
    if ($Allowed -notcontains $LASTEXITCODE) {
        throw "$Program $Shown failed with exit code ${LASTEXITCODE}: $($output.Trim())"
    }
    $LASTEXITCODE
}

# Windows PowerShell 5.1 loads ServiceController from System.ServiceProcess; PowerShell 7
# ships it as System.ServiceProcess.ServiceController.
function Import-ServiceController {
    foreach ($assembly in @('System.ServiceProcess', 'System.ServiceProcess.ServiceController')) {
        try { Add-Type -AssemblyName $assembly; return } catch { }
    }
    throw 'cannot load System.ServiceProcess (ServiceController)'
}

# The service's controller. The constructor takes the name literally, where Get-Service
# -Name would read [ ] * ? in it as wildcards.
function Get-ServiceController {
    New-Object System.ServiceProcess.ServiceController -ArgumentList $ServiceName
}

function Test-ServiceExists {
    # 1060: ERROR_SERVICE_DOES_NOT_EXIST. The exit code, unlike sc.exe's text, is not localized.
    (Invoke-Sc -Arguments "query $ScName" -Allowed @(0, 1060)) -eq 0
}

# Stops the service (if it runs) and waits until the service manager reports it stopped, so
# its files can be replaced and new settings apply on the next start.
function Stop-ServiceAndWait {
    param([int]$TimeoutSeconds = 120)
    $controller = Get-ServiceController
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    $asked = $false
    while ($true) {
        $controller.Refresh()
        $status = [string]$controller.Status
        if ($status -eq 'Stopped') { return }
        if (-not $asked -and ($status -eq 'Running' -or $status -eq 'Paused')) {
            Write-Host "Stopping service '$ServiceName'..."
            # 1061: ERROR_SERVICE_CANNOT_ACCEPT_CTRL, it just went pending: ask again later.
            # 1062: ERROR_SERVICE_NOT_ACTIVE, it stopped on its own meanwhile.
            $code = Invoke-Sc -Arguments "stop $ScName" -Allowed @(0, 1061, 1062)
            $asked = $code -ne 1061
        }
        if ((Get-Date) -gt $deadline) {
            throw "service '$ServiceName' is still $status after $TimeoutSeconds seconds; stop it and run ${ScriptName} again"
        }
        Start-Sleep -Milliseconds 250
    }
}
