set terminal pngcairo size 1600,450 font ',10'
set output './bench.png'
set style data histogram
set style histogram cluster gap 1
set style fill solid border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -30
set ylabel 'Mops/s (median, log scale)'
set logscale y
set yrange [0.01:*]
set key top right
set multiplot layout 1,2
set title '1m keys, 1 thread'
plot './plot.dat' index 0 using 2:xtic(1) title 'bwtree', './plot.dat' index 0 using 3:xtic(1) title 'maple'
set title '1m keys, 2 threads'
plot './plot.dat' index 1 using 2:xtic(1) title 'bwtree', './plot.dat' index 1 using 3:xtic(1) title 'maple'
unset multiplot
