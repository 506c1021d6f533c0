import type { Command, Option } from 'commander';
import { listContexts } from './config.ts';
import { OUTPUT_CHOICES } from './output.ts';

/**
 * Shell completion as kubectl and gh do it (Cobra's `__complete`): the shell script is a thin
 * wrapper that asks `shellgate __complete <words…>` what may come next, and the command tree
 * answers, so completion always knows every command and option of the installed version.
 */

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export interface Candidate {
  value: string;
  description: string;
}

const visibleOptions = (command: Command) =>
  (command.options as readonly Option[]).filter((o) => !o.hidden);

/** The options of `command` and of every command above it (globals such as `--output`). */
function optionsInScope(command: Command): Option[] {
  const out: Option[] = [];
  for (let c: Command | null = command; c; c = c.parent) out.push(...visibleOptions(c));
  return out;
}

const findOption = (command: Command, word: string) =>
  optionsInScope(command).find((o) => o.long === word || o.short === word);

/** Values of an option that takes one, where the set is known. */
function optionValues(option: Option, env: NodeJS.ProcessEnv): Candidate[] {
  if (option.long === '--output') {
    return OUTPUT_CHOICES.map((value) => ({ value, description: 'output format' }));
  }
  if (option.long === '--context') return contextCandidates(env);
  return (option.argChoices ?? []).map((value) => ({ value, description: '' }));
}

function contextCandidates(env: NodeJS.ProcessEnv): Candidate[] {
  try {
    return listContexts(env).map((c) => ({ value: c.name, description: c.endpoint }));
  } catch {
    return [];
  }
}

/** Commands whose first argument names a saved context. */
const TAKES_CONTEXT = new Set(['context use', 'context delete', 'context set']);

const pathOf = (command: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

/**
 * What may follow `words` (everything after `shellgate`; the last word is the one being typed,
 * possibly empty): subcommands, options with their descriptions, or an option's values.
 */
export function complete(program: Command, words: string[], env: NodeJS.ProcessEnv): Candidate[] {
  const current = words.at(-1) ?? '';
  let command = program;
  let positionals = 0;
  for (let i = 0; i < words.length - 1; i++) {
    const word = words[i]!;
    if (word === '--') break;
    if (word.startsWith('-')) {
      const option = findOption(command, word.split('=')[0]!);
      if (option && (option.required || option.optional) && !word.includes('=')) i++;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub && positionals === 0) command = sub;
    else positionals++;
  }
  const previous = words.at(-2);
  const pending = previous?.startsWith('-') ? findOption(command, previous) : undefined;
  let candidates: Candidate[];
  if (pending && (pending.required || pending.optional) && !previous!.includes('=')) {
    candidates = optionValues(pending, env);
  } else if (current.startsWith('-')) {
    candidates = optionsInScope(command).flatMap((o) =>
      [o.long, o.short]
        .filter((flag): flag is string => Boolean(flag))
        .map((value) => ({ value, description: o.description })),
    );
  } else if (command.commands.length && positionals === 0) {
    candidates = command.commands.map((c) => ({ value: c.name(), description: c.description() }));
  } else if (TAKES_CONTEXT.has(pathOf(command)) && positionals === 0) {
    candidates = contextCandidates(env);
  } else {
    candidates = [];
  }
  return candidates.filter((c) => c.value.startsWith(current));
}

/** `shellgate __complete <words…>`: one candidate a line, `value<TAB>description`. */
export function completionLines(program: Command, words: string[], env: NodeJS.ProcessEnv) {
  return complete(program, words.length ? words : [''], env)
    .map((c) => `${c.value}\t${c.description.replace(/\s+/g, ' ')}\n`)
    .join('');
}

/** The script a shell loads to complete `shellgate`. */
export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# shellgate completion for bash. Load it with:
#   source <(shellgate completion bash)
# or save it as /etc/bash_completion.d/shellgate.
_shellgate_complete() {
  local IFS=$'\\n' line
  local -a lines
  lines=($(shellgate __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  COMPREPLY=()
  for line in "\${lines[@]}"; do COMPREPLY+=("\${line%%$'\\t'*}"); done
  # \`-o jsonpath=\` goes on with its template: no space after it.
  if [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *= ]]; then compopt -o nospace 2>/dev/null; fi
  return 0
}
complete -o default -F _shellgate_complete shellgate
`;
    case 'zsh':
      return `#compdef shellgate
# shellgate completion for zsh. Load it with:
#   source <(shellgate completion zsh)
# or save it as _shellgate in a directory of your $fpath.
_shellgate() {
  local -a lines candidates
  local line
  lines=("\${(@f)$(shellgate __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for line in "\${lines[@]}"; do
    [[ -z $line ]] && continue
    candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
  done
  _describe -t shellgate 'shellgate' candidates
}
if [[ "\${funcstack[1]}" = "_shellgate" ]]; then
  _shellgate "$@"
else
  compdef _shellgate shellgate
fi
`;
    case 'fish':
      return `# shellgate completion for fish. Load it with:
#   shellgate completion fish | source
# or save it as ~/.config/fish/completions/shellgate.fish.
function __shellgate_complete
    set -l words (commandline -opc) (commandline -ct)
    shellgate __complete $words[2..-1] 2>/dev/null
end
complete -c shellgate -f -a '(__shellgate_complete)'
`;
  }
}
