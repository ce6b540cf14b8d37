#!/usr/bin/perl
# x12parser-837.pl FILE: reads an 837P file with Debian's X12::Parser
# (libx12-parser-perl) and its 837 professional map, as a second, foreign
# reader of what services/claims/write837.c writes.
#
# X12::Parser splits a file into loops by the map's loop-start segments and
# does not validate, so this script adds the checks that make "it parsed"
# mean something:
#   - every segment of the file comes out of the parser, in some loop;
#   - every segment sits in a loop whose map lists that segment id (a
#     segment in the wrong place lands in a loop that does not list it);
#   - the file starts with ISA and ends with IEA.
# On success it prints one line of loop counts,
#   ISA=1 GS=1 ST=1 1000A=1 1000B=1 2000A=2 2000B=3 2000C=1 2300=3 ...
# (every loop seen, in the map's order) and exits 0; otherwise it prints
# what is wrong and exits 1. Exit 2: X12::Parser is not installed.
#
# The module ships maps for 4010 only. The 837P loops write837 uses are laid
# out the same in 5010 (005010X222A1) and 4010 (004010X098), except that the
# 5010 service facility loop 2310C is 2310D in the 4010 map (4010's 2310C
# was the purchased service provider); counts say 2310D for it.
use strict;
use warnings;

eval { require X12::Parser; 1 } or do {
    print "X12::Parser is not installed (apt-get install libx12-parser-perl)\n";
    exit 2;
};

my $file = shift @ARGV or die "usage: $0 FILE\n";
(my $cf_dir = $INC{'X12/Parser.pm'}) =~ s/\.pm$//;
my $cf = "$cf_dir/cf/837_004010X098.cf";
-f $cf or do { print "no 837P map at $cf\n"; exit 2; };

# The map: loop order and, per loop, the segment ids it may hold.
my (@loop_order, %allowed, $section);
open my $map, '<', $cf or die "$cf: $!\n";
while (<$map>) {
    if (/^\[(\w+)\]/) {
        $section = $1;
        push @loop_order, $section unless $section eq 'LOOPS';
    }
    elsif (defined $section && /^segment=(\w+):/) {
        $allowed{$section}{$1} = 1;
    }
}
close $map;

# What the file holds, read independently of the parser.
open my $in, '<', $file or die "$file: $!\n";
my $text = do { local $/; <$in> };
close $in;
length $text >= 106 or do { print "file shorter than an ISA\n"; exit 1; };
my $element = substr $text, 3, 1;
my $terminator = substr $text, 105, 1;
my @segments = grep { /\S/ } map { s/^\s+//r } split /\Q$terminator\E/, $text;
my $expected = scalar @segments;

my $parser = X12::Parser->new;
$parser->parsefile(file => $file, conf => $cf);
my (%count, @errors);
my $seen = 0;
my ($first, $last);
while (my ($pos, $level, $loop) = $parser->get_next_pos_level_loop) {
    $count{$loop}++;
    for my $segment ($parser->get_loop_segments) {
        $segment =~ s/^\s+//;
        next unless length $segment;
        $seen++;
        my ($id) = split /\Q$element\E/, $segment;
        $first //= $id;
        $last = $id;
        push @errors, "segment $seen ($id) is in loop $loop, whose map has no $id"
            unless $allowed{$loop}{$id};
    }
}
push @errors, "parser gave $seen segments, the file has $expected" if $seen != $expected;
push @errors, "first segment is " . ($first // 'none') . ", not ISA" if ($first // '') ne 'ISA';
push @errors, "last segment is " . ($last // 'none') . ", not IEA" if ($last // '') ne 'IEA';
if (@errors) {
    print "$_\n" for @errors[0 .. ($#errors < 9 ? $#errors : 9)];
    exit 1;
}
print join(' ', map { "$_=$count{$_}" } grep { $count{$_} } @loop_order), "\n";
exit 0;
