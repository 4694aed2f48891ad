# bash completion for gfetch: options, their file/directory/method arguments.
# Installed as share/bash-completion/completions/gfetch; tests/cli checks that it
# lists exactly the options of cmd/option_table.cpp.

_gfetch() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD - 1]}"

  case "$prev" in
    -i | --input | -d | --data | --cacert)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    -o | --output-dir)
      COMPREPLY=($(compgen -d -- "$cur"))
      return
      ;;
    -X | --request)
      COMPREPLY=($(compgen -W "GET HEAD POST PUT DELETE PATCH OPTIONS" -- "$cur"))
      return
      ;;
    -p | --pool | --per-host | --rate | -t | --timeout | --connect-timeout | --dns-timeout | \
      --stall-timeout | --deadline | --retries | --retry-delay | --retry-max-delay | \
      -H | --header | -A | --user-agent | --max-redirs | -x | --proxy | --resolve | \
      --dns-servers | --max-filesize | -w | --write-out | --grace)
      return
      ;;
  esac

  if [[ "$cur" == -* ]]; then
    local options="-i --input --dedupe -p --pool --per-host --rate -t --timeout
      --connect-timeout --dns-timeout --stall-timeout --deadline --retries --retry-delay
      --retry-max-delay -X --request -H --header -A --user-agent -d --data -L --location
      --no-location --max-redirs -k --insecure --cacert -x --proxy --http1.1 --http2
      --compressed --resolve --dns-servers --max-filesize --fail --json --csv -w --write-out
      --keep-order -o --output-dir --color --no-color --progress --no-progress --no-summary
      -q --quiet --grace -h --help -V --version"
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return
  fi
  COMPREPLY=()
}

complete -F _gfetch gfetch
